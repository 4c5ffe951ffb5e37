"""Patch 1: functions run from their own zip in a subprocess, Lambda-shaped in and out."""

from __future__ import annotations

import json
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
