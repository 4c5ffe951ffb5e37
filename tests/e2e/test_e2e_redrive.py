"""``redrive`` on the emulator: an item exhausted by real failures, sent again, published once.

The topic is broken so the item's first run fails, and the retry function runs with
MAX_ATTEMPTS=1 so its next scheduled pass ends it Exhausted (the schedule fires every 3 s
here). With the topic fixed, ``redrive --id`` without a terminal and without ``--yes``
writes nothing; with ``--yes`` the item's next run starts through the retry function's
own claim and ends Successful, its message published exactly once; a second ``redrive``
of the now Successful item skips it and publishes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.support import System
from tests.e2e.test_e2e_local import (
    FAST_RETRY,
    item,
    received,
    send,
    wait_for,
)
from tests.e2e.test_e2e_operate import disa, document

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def redrive_inbox(system: System) -> str:
    """A queue of its own subscribed to the messages topic."""
    return system.subscribe_queue("e2e-redrive-inbox")


@pytest.fixture
def exhausted_item(system: System, redrive_inbox: str) -> Iterator[str]:
    """An item whose publish failed and whose retries ran out; the topic fixed again."""
    retry, init = system.outputs["RetryFunctionName"], system.outputs["InitProcessFunctionName"]
    system.set_environment(init, **FAST_RETRY)
    saved = system.set_environment(retry, **FAST_RETRY, MAX_ATTEMPTS="1")
    broken = system.outputs["TopicArn"] + "-does-not-exist"
    topic = system.set_environment("disa-local-process", TOPIC_ARN=broken)["TOPIC_ARN"]
    try:
        failed = send(system, "redrive me")
        assert failed.status == "Failure", failed.trail
        wait_for(lambda: item(system, failed.item_id).get("status") == "Exhausted")
    finally:
        system.set_environment("disa-local-process", TOPIC_ARN=topic)
    try:
        yield failed.item_id
    finally:
        system.set_environment(retry, MAX_ATTEMPTS=saved.get("MAX_ATTEMPTS", "5"))


def test_an_exhausted_item_is_redriven_to_successful_and_published_once(
    system: System, redrive_inbox: str, exhausted_item: str
) -> None:
    key = exhausted_item
    before = item(system, key)

    refused = disa(system, "redrive", "--id", key, code=3)  # no terminal, no --yes
    assert "refusing to redrive without --yes" in refused.output
    assert item(system, key) == before

    done = document(disa(system, "redrive", "--id", key, "--yes", "--output", "json"))
    (redriven,) = done["details"]["redrive"]["redriven"]
    assert redriven["id"] == key and redriven["attempt"] == 1

    def successful() -> dict[str, Any] | None:
        current = item(system, key)
        return current if current.get("status") == "Successful" else None

    final = wait_for(successful)
    assert final["execution"] == redriven["execution"]
    assert int(final["run"]) == int(before["run"]) + 1
    notes = [n for n in received(system, redrive_inbox, wanted=key) if n["id"] == key]
    assert notes == [{"id": key, "message": "redrive me"}]

    again = document(disa(system, "redrive", "--id", key, "--yes", "--output", "json"))
    assert again["details"]["redrive"]["skipped"] == [
        {"id": key, "reason": "Successful: never sent again"}
    ]
    assert again["details"]["redrive"]["redriven"] == []
    assert [n for n in received(system, redrive_inbox, 4) if n["id"] == key] == []
    assert "redrive me" not in json.dumps(done) + json.dumps(again)
