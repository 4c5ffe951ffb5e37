"""Overwrites on the emulator: the real templates (the stream filter included), handlers and
state machine. A PutItem over an existing id is a new request, sent once; an update that
keeps the status sends nothing; every stored message is sent at most once.

"Nothing was sent" is shown without waiting on time: a later item written after the
update is followed to Successful, and the stream is delivered in order, so by then the
update's record has been passed over.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.support import System

pytestmark = pytest.mark.e2e

FAST_RETRY = {"RETRY_BASE_SECONDS": "1", "RETRY_MAX_SECONDS": "2"}


@pytest.fixture(scope="module")
def inbox(system: System) -> str:
    """A queue of this module's own, subscribed to the messages topic."""
    return system.subscribe_queue("e2e-overwrite-inbox")


class Inbox:
    """Every notification the topic delivered for one item, kept across reads."""

    def __init__(self, system: System, url: str, item_id: str) -> None:
        self.sqs, self.url, self.item_id = system.client("sqs"), url, item_id
        self.seen: list[str] = []

    def messages(self, seconds: float = 3.0) -> list[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            answer = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            for note in answer.get("Messages", []):
                body = json.loads(note["Body"])
                if body["MessageAttributes"]["disa_id"]["Value"] == self.item_id:
                    self.seen.append(body["Message"])
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=note["ReceiptHandle"])
        return list(self.seen)


def item(system: System, item_id: str) -> dict[str, Any]:
    answer = system.client("dynamodb").get_item(
        TableName=system.outputs["TableName"], Key={"id": {"S": item_id}}, ConsistentRead=True
    )
    return {k: next(iter(v.values())) for k, v in answer.get("Item", {}).items()}


def put(system: System, item_id: str, message: str) -> None:
    system.client("dynamodb").put_item(
        TableName=system.outputs["TableName"],
        Item={"id": {"S": item_id}, "message": {"S": message}},
    )


def wait_for(probe: Callable[[], Any], timeout: float = 45) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"still waiting after {timeout} s")


def reaches(system: System, item_id: str, status: str, unlike: str | None = None) -> Any:
    """Wait until the item is in ``status`` under a request other than ``unlike``."""

    def probe() -> dict[str, Any] | None:
        current = item(system, item_id)
        fresh = current.get("request") != unlike
        return current if current.get("status") == status and fresh else None

    return wait_for(probe)


def test_overwrite_after_successful_is_sent_once(system: System, inbox: str) -> None:
    item_id = f"e2e-overwrite-{uuid.uuid4()}"
    notes = Inbox(system, inbox, item_id)
    put(system, item_id, "first")
    first = reaches(system, item_id, "Successful")

    put(system, item_id, "second")
    second = reaches(system, item_id, "Successful", unlike=first["request"])

    assert second["sns_message_id"] != first["sns_message_id"]
    assert second["execution"] != first["execution"]
    assert notes.messages() == ["first", "second"]


def test_a_status_preserving_update_sends_nothing(system: System, inbox: str) -> None:
    item_id = f"e2e-update-{uuid.uuid4()}"
    notes = Inbox(system, inbox, item_id)
    put(system, item_id, "only once")
    done = reaches(system, item_id, "Successful")

    system.client("dynamodb").update_item(
        TableName=system.outputs["TableName"],
        Key={"id": {"S": item_id}},
        UpdateExpression="SET note = :n",
        ExpressionAttributeValues={":n": {"S": "edited by its owner"}},
    )
    marker = f"e2e-marker-{uuid.uuid4()}"
    put(system, marker, "written after the update")
    reaches(system, marker, "Successful")

    assert notes.messages() == ["only once"]
    after = item(system, item_id)
    assert (after["status"], after["execution"]) == ("Successful", done["execution"])


def test_overwrite_while_waiting_for_a_retry_sends_only_the_new_message(
    system: System, inbox: str
) -> None:
    for function in (system.outputs["InitProcessFunctionName"],
                     system.outputs["RetryFunctionName"]):  # fmt: skip
        system.set_environment(function, **FAST_RETRY)
    item_id = f"e2e-overwrite-failed-{uuid.uuid4()}"
    notes = Inbox(system, inbox, item_id)
    missing_topic = system.outputs["TopicArn"] + "-does-not-exist"
    saved = system.set_environment("disa-local-process", TOPIC_ARN=missing_topic)
    try:
        put(system, item_id, "never sent")
        failed = reaches(system, item_id, "Failure")
        put(system, item_id, "sent instead")
        # The new request runs (and fails) under its own token before the topic is back.
        reaches(system, item_id, "Failure", unlike=failed["request"])
    finally:
        system.set_environment("disa-local-process", TOPIC_ARN=saved["TOPIC_ARN"])

    done = reaches(system, item_id, "Successful")

    assert done["request"] != failed["request"]
    assert notes.messages() == ["sent instead"]
