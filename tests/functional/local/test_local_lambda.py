"""Lambda on the emulator: warm workers running each function's own zip, Lambda-shaped in
and out, logged to the function's log group as Lambda logs."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.functional.local.support import Clients, create_function

PROBE = """
import os, time, boto3

class PublishError(Exception):
    pass

def handler(event, context):
    if event.get("raise"):
        raise PublishError(event["raise"])
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {
        "function_name": context.function_name,
        "request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
        "arn": context.invoked_function_arn,
        "greeting": os.environ.get("GREETING"),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "region": os.environ.get("AWS_REGION"),
        "home": os.environ.get("HOME"),
        "queues": boto3.client("sqs").list_queues().get("QueueUrls", []),
        "event": event,
    }
"""


def invoke(aws: Clients, name: str, event: dict[str, Any]) -> tuple[str | None, Any]:
    answer = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event))
    return answer.get("FunctionError"), json.loads(answer["Payload"].read())


def test_handler_gets_event_context_environment_and_the_emulator(
    aws: Clients, endpoint: str
) -> None:
    create_function(aws, "probe", PROBE, Timeout=5, Environment={"Variables": {"GREETING": "hi"}})
    aws("sqs").create_queue(QueueName="seen-from-lambda")

    error, payload = invoke(aws, "probe", {"n": 1})

    assert error is None
    assert payload["function_name"] == "probe"
    assert payload["arn"].endswith(":function:probe")
    assert payload["request_id"]
    assert 0 < payload["remaining"] <= 5000
    assert payload["greeting"] == "hi"
    assert payload["endpoint"] == endpoint
    assert payload["region"] == "us-east-1"
    assert payload["home"] is None  # the emulator's own environment stays out
    assert any(url.endswith("/seen-from-lambda") for url in payload["queues"])
    assert payload["event"] == {"n": 1}


def test_function_error_names_the_exception_class(aws: Clients) -> None:
    create_function(aws, "probe-error", PROBE)

    error, payload = invoke(aws, "probe-error", {"raise": "NotFound"})

    assert error == "Handled"
    assert payload["errorType"] == "PublishError"
    assert payload["errorMessage"] == "NotFound"


def test_timeout_is_enforced(aws: Clients) -> None:
    create_function(aws, "probe-slow", PROBE, Timeout=1)

    error, payload = invoke(aws, "probe-slow", {"sleep": 30})

    assert error == "Handled"
    assert payload["errorType"] == "Sandbox.Timedout"


def test_missing_handler_module_is_an_import_error(aws: Clients) -> None:
    aws_lambda = aws("lambda")
    create_function(aws, "probe-badhandler", PROBE)
    aws_lambda.update_function_configuration(
        FunctionName="probe-badhandler", Handler="nope.handler"
    )

    error, payload = invoke(aws, "probe-badhandler", {})

    assert error == "Handled"
    assert payload["errorType"] == "Runtime.ImportModuleError"


WARM = """
import os, sys

CALLS = []
print("init: imported once per worker")

def handler(event, context):
    CALLS.append(event)
    if event.get("crash"):
        os._exit(3)
    if event.get("fail"):
        raise ValueError("no good")
    if event.get("print"):
        print(event["print"])
    return {"pid": os.getpid(), "calls": len(CALLS), "version": os.environ.get("V"),
            "code": "one", "stream": context.log_stream_name}
"""


def test_a_worker_stays_warm_between_invocations(aws: Clients) -> None:
    create_function(aws, "warm", WARM, Timeout=5)

    _, first = invoke(aws, "warm", {})
    _, second = invoke(aws, "warm", {})

    assert second["pid"] == first["pid"]
    assert (first["calls"], second["calls"]) == (1, 2)  # module globals survive, as on Lambda


def test_a_crashed_worker_is_replaced(aws: Clients) -> None:
    create_function(aws, "warm-crash", WARM, Timeout=5)
    _, before = invoke(aws, "warm-crash", {})

    error, crashed = invoke(aws, "warm-crash", {"crash": True})
    _, after = invoke(aws, "warm-crash", {})

    assert error == "Handled"
    assert crashed["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in crashed["errorMessage"]
    assert after["pid"] != before["pid"] and after["calls"] == 1


def test_a_timed_out_worker_is_killed_and_replaced(aws: Clients) -> None:
    create_function(aws, "probe-slow-again", PROBE, Timeout=1)
    invoke(aws, "probe-slow-again", {})

    error, payload = invoke(aws, "probe-slow-again", {"sleep": 30})
    again, answer = invoke(aws, "probe-slow-again", {})

    assert (error, payload["errorType"]) == ("Handled", "Sandbox.Timedout")
    assert payload["errorMessage"] == "Task timed out after 1.00 seconds"
    assert again is None and answer["function_name"] == "probe-slow-again"


def test_new_code_or_configuration_means_fresh_workers(aws: Clients) -> None:
    from tests.functional.local.support import make_zip

    create_function(aws, "warm-update", WARM, Timeout=5, Environment={"Variables": {"V": "1"}})
    _, first = invoke(aws, "warm-update", {})
    aws("lambda").update_function_configuration(
        FunctionName="warm-update", Environment={"Variables": {"V": "2"}}
    )
    _, configured = invoke(aws, "warm-update", {})
    new_code = WARM.replace('"code": "one"', '"code": "two"')
    aws("lambda").update_function_code(
        FunctionName="warm-update", ZipFile=make_zip({"app.py": new_code})
    )
    _, recoded = invoke(aws, "warm-update", {})

    assert (first["version"], configured["version"]) == ("1", "2")
    assert configured["pid"] != first["pid"] and configured["calls"] == 1
    assert recoded["code"] == "two" and recoded["pid"] != configured["pid"]


def test_reserved_concurrency_bounds_the_pool(aws: Clients) -> None:
    from concurrent.futures import ThreadPoolExecutor

    create_function(aws, "warm-one", WARM, Timeout=5)
    aws("lambda").put_function_concurrency(FunctionName="warm-one", ReservedConcurrentExecutions=1)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: invoke(aws, "warm-one", {})[1], range(4)))

    assert len({answer["pid"] for answer in answers}) == 1
    assert sorted(answer["calls"] for answer in answers) == [1, 2, 3, 4]


def log_messages(aws: Clients, function: str, **query: Any) -> list[dict[str, Any]]:
    logs = aws("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}", **query)["events"]
    return list(events)


def test_each_invocation_is_logged_as_lambda_logs_it(aws: Clients) -> None:
    create_function(aws, "warm-logs", WARM, Timeout=5)

    _, ok = invoke(aws, "warm-logs", {"print": "hello from the handler"})
    error, failed = invoke(aws, "warm-logs", {"fail": True})

    events = log_messages(aws, "warm-logs")
    messages = [event["message"] for event in events]
    request_id = failed["requestId"]
    assert error == "Handled"
    assert messages[0] == "init: imported once per worker"
    assert messages[1].startswith("START RequestId: ") and messages[1].endswith(" Version: $LATEST")
    assert "hello from the handler" in messages
    assert f"START RequestId: {request_id} Version: $LATEST" in messages
    assert "[ERROR] ValueError: no good" in messages
    assert "Traceback (most recent call last):" in messages
    assert f"END RequestId: {request_id}" in messages
    report = next(m for m in messages if m.startswith(f"REPORT RequestId: {request_id}"))
    assert "\tDuration: " in report and "\tBilled Duration: " in report
    assert "\tMemory Size: 128 MB\tMax Memory Used: " in report
    first_report = next(m for m in messages if m.startswith("REPORT"))
    assert "\tInit Duration: " in first_report and "Init Duration" not in report
    assert {event["logStreamName"] for event in events} == {ok["stream"]}
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", ok["stream"])
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps)


def test_a_worker_stream_is_read_with_get_log_events(aws: Clients) -> None:
    create_function(aws, "warm-stream", WARM, Timeout=5)
    _, answer = invoke(aws, "warm-stream", {"print": "line one\nline two"})

    events = aws("logs").get_log_events(
        logGroupName="/aws/lambda/warm-stream", logStreamName=answer["stream"], startFromHead=True
    )["events"]

    messages = [event["message"] for event in events]
    assert messages[messages.index("line one") + 1] == "line two"  # one event per line
