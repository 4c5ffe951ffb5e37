"""Helpers for the handler tests: names of the test account's resources, stream events
read back through moto's DynamoDB Streams API, a recorder of the AWS calls the handlers
make, a parser of their stdout, and small fakes (Lambda context, clock).

Imported by conftest.py (fixtures) and the test modules; pytest puts this folder on
sys.path because it is not a package.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.session
import pytest
from botocore.config import Config
from disa_common import model

from tests.support.aws_calls import iam_action

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "disa-test-messages"
TOPIC = "disa-test-messages"
ALARM = "disa-test-publish-failures"
STATE_MACHINE = "disa-test-state-machine"
NAMESPACE = "DISA"
ENVIRONMENT = "test"
# Every test item's message contains this; it must never reach stdout.
BODY = "BODY-7f3a9c-secret-payload-never-log-me"

PASS_DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})

_loader: botocore.loaders.Loader | None = None
_test_clients: dict[str, Any] = {}


def fresh_session() -> boto3.session.Session:
    """A new boto3 session (so hooks never leak between tests) that shares one loader.

    Reading botocore's service models is most of a client's creation cost; sharing the
    loader keeps the suite fast.
    """
    global _loader
    if _loader is None:
        _loader = botocore.loaders.create_loader()
    core = botocore.session.Session()
    core.register_component("data_loader", _loader)
    return boto3.session.Session(botocore_session=core, region_name=REGION)


def aws_client(service: str) -> Any:
    """The tests' own client (setup and inspection); never the handlers' clients."""
    if service not in _test_clients:
        config = None
        if service == "dynamodbstreams":
            # Stream ARNs carry the account id, and botocore would then pick an
            # account-based endpoint that moto does not serve.
            config = Config(account_id_endpoint_mode="disabled")
        _test_clients[service] = fresh_session().client(service, config=config)
    return _test_clients[service]


class LogLines:
    """Everything the handlers wrote to stdout, parsed; asserts each line is JSON."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.text = ""
        self._parsed: list[dict[str, Any]] = []

    def lines(self) -> list[dict[str, Any]]:
        new = self._capsys.readouterr().out
        self.text += new
        for line in new.splitlines():
            if line.strip():
                self._parsed.append(json.loads(line))  # fails the test if not JSON
        return list(self._parsed)

    def events(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == event]

    def metrics(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if "_aws" in line and name in line]


@dataclass
class Stream:
    """Reads the table's stream through moto's DynamoDB Streams API, as Lambda would."""

    arn: str
    _client: Any = None
    _iterator: str | None = None

    def __post_init__(self) -> None:
        self._client = aws_client("dynamodbstreams")

    def new_records(self) -> list[dict[str, Any]]:
        """Stream records written since the last call, shaped as in a Lambda event."""
        if self._iterator is None:
            shard = self._client.describe_stream(StreamArn=self.arn)["StreamDescription"]
            self._iterator = self._client.get_shard_iterator(
                StreamArn=self.arn,
                ShardId=shard["Shards"][0]["ShardId"],
                ShardIteratorType="TRIM_HORIZON",
            )["ShardIterator"]
        answer = self._client.get_records(ShardIterator=self._iterator)
        self._iterator = answer["NextShardIterator"]
        return [self._as_lambda_record(record) for record in answer["Records"]]

    def event(self) -> dict[str, Any]:
        return {"Records": self.new_records()}

    def _as_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        shaped = dict(record, eventSourceARN=self.arn)
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if created is not None and not isinstance(created, int | float):
            change["ApproximateCreationDateTime"] = int(created.timestamp())  # Lambda: epoch
        shaped["dynamodb"] = change
        return shaped


def put_message(ddb: Any, key: str, message: Any = None, **extra: dict[str, str]) -> None:
    """Insert an item as a user would: key and message (an attribute value), nothing else."""
    item: dict[str, Any] = {model.KEY: {"S": key}, **extra}
    item[model.MESSAGE] = message if message is not None else {"S": f"{BODY} for {key}"}
    ddb.put_item(TableName=TABLE, Item=item)


def put_due(ddb: Any, key: str, attempts: int) -> None:
    """An item whose run 1 failed after ``attempts`` attempts and whose retry is due now."""
    put_message(
        ddb,
        key,
        status={"S": "Failure"},
        run={"N": "1"},
        attempts={"N": str(attempts)},
        retry_shard={"S": model.retry_shard(key, 4)},
        next_attempt_at={"N": str(int(time.time()) - 1)},
    )


def get_item(ddb: Any, key: str) -> dict[str, Any] | None:
    answer = ddb.get_item(TableName=TABLE, Key={model.KEY: {"S": key}}, ConsistentRead=True)
    return answer.get("Item")


def close_executions(state_machine_arn: str) -> None:
    """End every execution that still runs. A repeated StartExecution (same name, same
    input) is an idempotent success while the first runs, and ExecutionAlreadyExists once it
    is closed (AWS and moto alike); moto's Pass machines finish on their own thread, so a test
    that expects the refusal closes them first rather than depend on the machine's speed."""
    sfn = aws_client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, statusFilter="RUNNING"
    )
    for page in pages:
        for summary in page["executions"]:
            with contextlib.suppress(botocore.exceptions.ClientError):
                sfn.stop_execution(executionArn=summary["executionArn"])


def executions(state_machine_arn: str) -> dict[str, dict[str, Any]]:
    """Execution name → parsed input, for every execution of the state machine."""
    sfn = aws_client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
    found = {}
    for page in pages:
        for summary in page["executions"]:
            detail = sfn.describe_execution(executionArn=summary["executionArn"])
            found[summary["name"]] = json.loads(detail["input"])
    return found


@dataclass
class CallRecorder:
    """IAM actions of every AWS call made through disa_common.clients, in order."""

    calls: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, model: Any, **_: Any) -> None:
        action = iam_action(model.service_model.service_name, model.name)
        with self._lock:
            self.calls.append(action)

    def count(self, action: str) -> int:
        return self.calls.count(action)

    def clear(self) -> None:
        self.calls.clear()


class FakeContext:
    """A Lambda context whose remaining time comes from ``remaining`` (milliseconds)."""

    aws_request_id = "req-0001"

    def __init__(self, remaining: Callable[[], int] = lambda: 900_000) -> None:
        self._remaining = remaining

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining()


class FakeClock:
    """Monotonic time that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")
_EXPRESSIONS = (
    "UpdateExpression",
    "ConditionExpression",
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
)


def check_placeholders(params: dict[str, Any], model: Any, **_: Any) -> None:
    """Fail a DynamoDB call whose placeholders and value/name maps differ, as AWS does.

    DynamoDB rejects unused and undefined ``#name``/``:value`` placeholders with a
    ValidationException; moto is laxer, so this hook holds the handlers to AWS's rule.
    """
    used = set()
    for name in _EXPRESSIONS:
        used |= set(_PLACEHOLDER.findall(params.get(name, "")))
    defined = set(params.get("ExpressionAttributeNames", {}))
    defined |= set(params.get("ExpressionAttributeValues", {}))
    assert used == defined, f"{model.name}: placeholders {sorted(used ^ defined)} mismatch"


def item_runs(state_machine_arn: str) -> dict[str, list[tuple[str, int]]]:
    """Item key → (request token, run) of each execution started for it, sorted."""
    found: dict[str, list[tuple[str, int]]] = {}
    for name, payload in executions(state_machine_arn).items():
        assert name == model.execution_name(payload["id"], payload["request"], payload["run"])
        found.setdefault(payload["id"], []).append((payload["request"], payload["run"]))
    return {key: sorted(runs) for key, runs in found.items()}


def overwrite(ddb: Any, key: str, message: Any = None) -> None:
    """A user's PutItem over an existing id: the new item has a message and nothing of ours."""
    put_message(ddb, key, message)


def stream_record(
    key: str,
    image: dict[str, Any],
    event: str = "INSERT",
    sequence: str = "100",
    event_id: str = "e-1",
) -> dict[str, Any]:
    """A record shaped as Lambda delivers it (binary values as base64 text)."""
    return {
        "eventID": event_id,
        "eventName": event,
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {model.KEY: {"S": key}},
            "NewImage": {model.KEY: {"S": key}, **image},
            "SequenceNumber": sequence,
            "StreamViewType": "NEW_IMAGE",
        },
    }
