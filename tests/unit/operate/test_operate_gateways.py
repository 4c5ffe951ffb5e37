"""The operate gateways over small fake clients: paging, retries, decoding, short causes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from deployer.errors import DeployFailedError, PreflightError
from deployer.gateways.dynamodb import MessageTable, decode
from deployer.gateways.logs import LogGateway
from deployer.gateways.runs import FunctionGateway, RunGateway
from deployer.gateways.stepfunctions import ExecutionGateway


class Pages:
    """A client method answering with one scripted page per call, recording each request."""

    def __init__(self, *pages: dict[str, Any]) -> None:
        self.pages, self.requests = list(pages), []  # type: ignore[var-annotated]

    def __call__(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return self.pages.pop(0)


class Client:
    """A fake client: scripted methods, and a real DynamoDB client's ``meta`` (which names
    the call and the endpoint in errors, and says the protocol)."""

    meta = boto3.client("dynamodb", region_name="us-east-1").meta

    def __init__(self, **methods: Pages) -> None:
        self.__dict__.update(methods)


def test_log_events_follow_the_next_token_and_stop_when_the_reader_stops() -> None:
    filter_log_events = Pages(
        {"events": [{"logStreamName": "s", "timestamp": 1, "message": "a\n", "eventId": "1"}],
         "nextToken": "t1"},
        {"events": [{"logStreamName": "s", "timestamp": 2, "message": "b", "eventId": "2"}],
         "nextToken": "t2"},
        {"events": [{"logStreamName": "s", "timestamp": 3, "message": "c", "eventId": "3"}]},
    )  # fmt: skip
    logs = LogGateway(Client(filter_log_events=filter_log_events))

    events = logs.events("g", 0, pattern='"x"', streams=["s"])
    first_two = [next(events).message, next(events).message]

    assert first_two == ["a", "b"]  # the trailing newline Lambda leaves is dropped
    assert len(filter_log_events.requests) == 2  # the third page is never asked for
    assert filter_log_events.requests[1] == {"logGroupName": "g", "startTime": 0,
                                             "filterPattern": '"x"', "logStreamNames": ["s"],
                                             "nextToken": "t1"}  # fmt: skip


def test_unprocessed_keys_are_asked_again_with_backoff_then_refused() -> None:
    item = {"id": {"S": "a"}, "status": {"S": "Failure"}}
    left = {"t": {"Keys": [{"id": {"S": "b"}}]}}
    batch = Pages({"Responses": {"t": [item]}, "UnprocessedKeys": left},
                  {"Responses": {"t": [{"id": {"S": "b"}}]}, "UnprocessedKeys": {}})  # fmt: skip
    sleeps: list[float] = []
    table = MessageTable(Client(batch_get_item=batch), sleeps.append)

    found = table.batch_get("t", ["a", "b"], ("id", "status"))

    assert [i.get("id") for i in found.items] == ["a", "b"]
    assert batch.requests[1]["RequestItems"] == left and sleeps == [0.1]
    stuck = Pages(*[{"Responses": {"t": []}, "UnprocessedKeys": left}] * 5)
    with pytest.raises(DeployFailedError, match="DynamoDB left keys unprocessed"):
        MessageTable(Client(batch_get_item=stuck), sleeps.append).batch_get("t", ["b"], ())
    assert sleeps == [0.1, 0.1, 0.2, 0.4, 0.8]  # none after the last refusal


def test_batch_reads_go_a_hundred_keys_at_a_time() -> None:
    batch = Pages(*[{"Responses": {"t": []}}] * 3)

    MessageTable(Client(batch_get_item=batch)).batch_get("t", [str(i) for i in range(250)], ())

    assert [len(r["RequestItems"]["t"]["Keys"]) for r in batch.requests] == [100, 100, 50]


def test_a_bounded_scan_asks_for_what_is_left_and_says_it_stopped() -> None:
    page = {"Items": [{"id": {"S": "a"}}], "ScannedCount": 3, "LastEvaluatedKey": {"id": {}},
            "ConsumedCapacity": {"CapacityUnits": 1.5}}  # fmt: skip
    scan = Pages(page, dict(page))

    result = MessageTable(Client(scan=scan)).scan("t", ("id",), max_scanned=5)

    assert [r["Limit"] for r in scan.requests] == [5, 2]
    assert (result.scanned, result.complete, result.read_units) == (6, False, 3.0)


def test_values_lose_their_type_wrappers_and_keep_their_types() -> None:
    raw = {"s": {"S": "x"}, "n": {"N": "3"}, "f": {"N": "1.5"}, "big": {"N": "1e3"},
           "l": {"L": [{"N": "1"}, {"S": "y"}]}, "m": {"M": {"k": {"BOOL": True}}},
           "ss": {"SS": ["b", "a"]}, "null": {"NULL": True}, "b": {"B": b"\x00"}}  # fmt: skip

    item = decode(raw)

    assert dict(item.values) == {"s": "x", "n": 3, "f": 1.5, "big": 1000, "l": [1, "y"],
                                 "m": {"k": True}, "ss": ["a", "b"], "null": None,
                                 "b": b"\x00"}  # fmt: skip
    assert item.types["m"] == "M" and item.types["b"] == "B"


def test_history_pages_and_keeps_only_a_lambda_errors_type_and_message() -> None:
    cause = json.dumps({"errorMessage": "AuthorizationError", "errorType": "PublishError",
                        "stackTrace": ["  File x"]})  # fmt: skip
    when = datetime(2025, 1, 1, tzinfo=UTC)
    history = Pages(
        {"events": [{"id": 1, "type": "TaskStateEntered", "timestamp": when,
                     "stateEnteredEventDetails": {"name": "Process", "input": "{}"}}],
         "nextToken": "n"},
        {"events": [{"id": 2, "type": "LambdaFunctionFailed", "timestamp": when,
                     "lambdaFunctionFailedEventDetails": {"error": "PublishError",
                                                          "cause": cause}},
                    {"id": 3, "type": "ExecutionFailed", "timestamp": when,
                     "executionFailedEventDetails": {"error": "X", "cause": "plain " * 100}}]},
    )  # fmt: skip

    events = list(ExecutionGateway(Client(get_execution_history=history)).history("arn"))

    assert [(e.type, e.state) for e in events] == [("TaskStateEntered", "Process"),
                                                  ("LambdaFunctionFailed", None),
                                                  ("ExecutionFailed", None)]  # fmt: skip
    assert events[1].cause == "PublishError: AuthorizationError"
    assert events[2].cause == ("plain " * 100)[:300]
    assert history.requests[0]["includeExecutionData"] is False
    assert history.requests[1]["nextToken"] == "n"


def test_a_functions_environment_it_may_not_decrypt_is_refused_by_name() -> None:
    error = {"ErrorCode": "KMSAccessDeniedException", "Message": "no access to the key"}
    client = Client(get_function_configuration=Pages({"Environment": {"Error": error}}))

    with pytest.raises(PreflightError, match="KMSAccessDeniedException no access to the key"):
        FunctionGateway(client).environment("disa-dev-retry")


def test_the_environment_comes_back_as_strings() -> None:
    variables = {"TABLE_NAME": "t", "RETRY_SHARDS": 4}  # CloudFormation may keep numbers
    client = Client(get_function_configuration=Pages({"Environment": {"Variables": variables}}))

    assert FunctionGateway(client).environment("f") == {"TABLE_NAME": "t", "RETRY_SHARDS": "4"}


@pytest.mark.parametrize(
    "environment",
    [
        pytest.param({"STATE_MACHINE_ARN": "arn:sm"}, id="no-table"),
        pytest.param({"TABLE_NAME": "t"}, id="no-state-machine"),
        pytest.param(
            {"TABLE_NAME": "t", "STATE_MACHINE_ARN": "arn:sm", "RETRY_SHARDS": "x"},
            id="a-bad-number",
        ),  # fmt: skip
    ],
)
def test_a_retry_function_whose_settings_cannot_be_used_is_refused(
    environment: dict[str, str],
) -> None:
    from support.cfn_yaml import ROOT

    from deployer.config.project import Project
    from deployer.usecases.names import load_run_code

    code = load_run_code(Project(ROOT))
    with pytest.raises(PreflightError, match="the retry function's settings cannot be used"):
        RunGateway(code, environment, Client(), Client(), lambda: 0.0)
