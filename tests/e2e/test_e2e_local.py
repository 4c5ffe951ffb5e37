"""The original design's test script, played on the real templates, handlers and state machine.

Insert an item with ``message`` → Successful, and the message arrives on the topic (a queue
subscribed to it sees it); point disa_process at a topic that does not exist → Failure;
restore it → the scheduled retry sends it → Successful. Plus: an item without ``message`` is
Invalid and never published; the same item delivered twice is published once.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from deployer.gateways.cloudformation import StackGateway
from deployer.gateways.dynamodb import MessageTable
from deployer.usecases.follow import SendResult, send_message
from tests.e2e.support import System

pytestmark = pytest.mark.e2e

FAST_RETRY = {"RETRY_BASE_SECONDS": "1", "RETRY_MAX_SECONDS": "2"}
# Deadlines, not speed targets: generous enough for a loaded machine.
DEADLINE_SECONDS = 120.0


@pytest.fixture(scope="module")
def inbox(system: System) -> str:
    """A queue subscribed to the messages topic: what a subscriber would receive."""
    return system.subscribe_queue("e2e-inbox")


def received(
    system: System, inbox: str, seconds: float = 3.0, wanted: str | None = None
) -> list[dict[str, Any]]:
    """Notifications that reach the inbox within ``seconds`` (each with its disa_id); with
    ``wanted``, until that item's arrives (a generous deadline) and ``seconds`` more."""
    sqs, notes = system.client("sqs"), []
    deadline = time.monotonic() + (DEADLINE_SECONDS if wanted else seconds)
    while time.monotonic() < deadline:
        if wanted and any(note["id"] == wanted for note in notes):
            deadline, wanted = time.monotonic() + seconds, None
        answer = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            body = json.loads(message["Body"])
            disa_id = body.get("MessageAttributes", {}).get("disa_id", {}).get("Value")
            notes.append({"id": disa_id, "message": body["Message"]})
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
    return notes


def send(system: System, message: str, timeout: float = DEADLINE_SECONDS) -> SendResult:
    return send_message(
        MessageTable(system.client("dynamodb")), StackGateway(system.client("cloudformation")),
        "disa-local", message,
        clock=time.monotonic, sleep=time.sleep, timeout=timeout, poll_seconds=0.25,
    )  # fmt: skip


def item(system: System, item_id: str) -> dict[str, Any]:
    answer = system.client("dynamodb").get_item(
        TableName=system.outputs["TableName"], Key={"id": {"S": item_id}}, ConsistentRead=True
    )
    return {k: next(iter(v.values())) for k, v in answer.get("Item", {}).items()}


def wait_for(probe: Callable[[], Any], timeout: float = DEADLINE_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"still waiting after {timeout} s")


def test_up_from_nothing_prints_outputs(system: System) -> None:
    # How long it took is printed by the fixture and measured by the benchmarks; a test on a
    # shared, loaded machine asserts outcomes, not speed.
    assert system.outputs["TableName"] == "disa-local-messages"


def test_message_is_published_and_successful(system: System, inbox: str) -> None:
    result = send(system, "hello")

    assert result.status == "Successful", result.trail
    assert result.sns_message_id and result.execution
    assert [e.status for e in result.trail][-1] == "Successful"
    assert {"id": result.item_id, "message": "hello"} in received(
        system, inbox, wanted=result.item_id
    )


def test_item_without_message_is_invalid_and_never_published(system: System, inbox: str) -> None:
    item_id = f"e2e-invalid-{uuid.uuid4()}"
    system.client("dynamodb").put_item(
        TableName=system.outputs["TableName"], Item={"id": {"S": item_id}, "note": {"S": "x"}}
    )

    invalid = wait_for(
        lambda: item(system, item_id).get("status") == "Invalid" and item(system, item_id)
    )

    assert invalid["reason"] == "MissingMessage"
    assert [n for n in received(system, inbox) if n["id"] == item_id] == []


def test_same_item_delivered_twice_is_published_once(system: System, inbox: str) -> None:
    result = send(system, "only once")
    assert result.status == "Successful"
    record = {
        "eventID": "redelivered", "eventName": "INSERT", "eventSource": "aws:dynamodb",
        "eventVersion": "1.1", "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/disa-local-messages/x",
        "dynamodb": {
            "Keys": {"id": {"S": result.item_id}},
            "NewImage": {"id": {"S": result.item_id}, "message": {"S": "only once"}},
            "SequenceNumber": "1", "StreamViewType": "NEW_IMAGE", "SizeBytes": 1,
        },
    }  # fmt: skip

    answer = system.client("lambda").invoke(
        FunctionName=system.outputs["InitProcessFunctionName"],
        Payload=json.dumps({"Records": [record]}),
    )

    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"batchItemFailures": []}
    copies = [n for n in received(system, inbox, 4, result.item_id) if n["id"] == result.item_id]
    assert copies == [{"id": result.item_id, "message": "only once"}]
    assert item(system, result.item_id)["status"] == "Successful"


def test_failure_then_scheduled_retry_succeeds(system: System, inbox: str) -> None:
    for function in (system.outputs["InitProcessFunctionName"],
                     system.outputs["RetryFunctionName"]):  # fmt: skip
        system.set_environment(function, **FAST_RETRY)
    missing_topic = system.outputs["TopicArn"] + "-does-not-exist"
    saved = system.set_environment("disa-local-process", TOPIC_ARN=missing_topic)
    try:
        failed = send(system, "retry me")
    finally:
        system.set_environment("disa-local-process", TOPIC_ARN=saved["TOPIC_ARN"])

    assert failed.status == "Failure", failed.trail
    assert failed.reason == "PublishError"  # $.error.Error: the exception class name

    def successful() -> dict[str, Any] | None:
        current = item(system, failed.item_id)
        return current if current.get("status") == "Successful" else None

    done = wait_for(successful)
    assert int(done["run"]) >= 2 and int(done["attempts"]) >= 2
    notes = [n for n in received(system, inbox, wanted=failed.item_id) if n["id"] == failed.item_id]
    assert notes == [{"id": failed.item_id, "message": "retry me"}]


def test_cli_send_and_status_report_the_message(system: System) -> None:
    from tests.e2e.conftest import disa_deploy

    sent = json.loads(disa_deploy(system.edge, "send", "hello via the cli", "--env", "local",
                                  "--output", "json").stdout)  # fmt: skip
    report = json.loads(disa_deploy(system.edge, "status", "--env", "local",
                                    "--output", "json").stdout)  # fmt: skip

    assert sent["exit_code"] == 0
    assert sent["details"]["send"]["status"] == "Successful"
    assert report["counts"].get("Successful", 0) >= 1
    # The real tree's two dead-letter queues exist and are counted (what they hold depends
    # on the other tests of the session).
    queues = report["details"]["dead_letter_queues"]
    assert sorted(queues) == ["disa-local-stream-dlq", "disa-local-subscription-dlq"]
    assert all(depth is not None and depth["waiting"] >= 0 for depth in queues.values())
    # A message there: status says how to read it, on the emulator's endpoint.
    sqs = system.client("sqs")
    url = sqs.get_queue_url(QueueName="disa-local-subscription-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="undeliverable")
    try:
        text = disa_deploy(system.edge, "status", "--env", "local").stdout
    finally:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    read = next(line for line in text.splitlines() if "read with:" in line)
    assert read.endswith(f"--queue-url {url} --endpoint-url {system.endpoint}")


def test_open_circuit_defers_without_an_attempt_then_the_retry_sends(
    system: System, inbox: str
) -> None:
    # The emulator never evaluates alarms; setting the state by hand is what an outage does.
    for function in (system.outputs["InitProcessFunctionName"],
                     system.outputs["RetryFunctionName"]):  # fmt: skip
        system.set_environment(function, **FAST_RETRY)
    cloudwatch, alarm = system.client("cloudwatch"), system.outputs["CircuitAlarmName"]
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="e2e outage")
    # Warm workers cache the alarm state for 10 s, as warm Lambda containers do; no cache
    # here (a configuration change also means fresh workers, as on AWS).
    saved = system.set_environment("disa-local-process", ALARM_CACHE_SECONDS="0")
    try:
        deferred = send(system, "wait for the breaker")
        assert deferred.status == "Failure", deferred.trail
        assert deferred.reason == "CircuitOpen"
        assert "attempts" not in item(system, deferred.item_id)  # no attempt consumed
        assert not [n for n in received(system, inbox, 1) if n["id"] == deferred.item_id]
    finally:
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="e2e over")
        system.set_environment("disa-local-process", **saved)

    def successful() -> dict[str, Any] | None:
        current = item(system, deferred.item_id)
        return current if current.get("status") == "Successful" else None

    done = wait_for(successful)
    assert int(done["attempts"]) == 1  # the deferral cost nothing
    notes = [
        n for n in received(system, inbox, wanted=deferred.item_id) if n["id"] == deferred.item_id
    ]
    assert notes == [{"id": deferred.item_id, "message": "wait for the breaker"}]
