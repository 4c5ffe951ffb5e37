"""Local mode under load and on bad days: a burst, binary attributes, a batch that always fails.

A burst of 200 items written at once all end ``Successful`` and each is published exactly
once (a queue subscribed to the topic counts them). Items with binary attributes never stall
the stream: a binary ``message`` ends ``Invalid``, a string message beside a binary attribute
ends ``Successful``, and an item written after them is processed. A batch the function always
fails on ends, after the mapping's retries, on the stream's on-failure queue, and the shard
moves on. Deadlines are generous: these tests prove outcomes, never speed (the benchmark
``tests/benchmarks/bench_local.py`` measures that).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.support import System

pytestmark = pytest.mark.e2e

BURST = 200
DEADLINE_SECONDS = 300.0


def wait_for(probe: Callable[[], Any], timeout: float = DEADLINE_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"still waiting after {timeout} s")


@pytest.fixture(scope="module")
def counter(system: System) -> str:
    """A queue subscribed (raw) to the messages topic, to count what is published."""
    return system.subscribe_queue("e2e-burst-counter", raw=True)


def drain(system: System, queue_url: str) -> list[str]:
    """Every message body on the queue now (until a receive comes back empty)."""
    sqs, bodies = system.client("sqs"), []
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = answer.get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def statuses(system: System, ids: set[str]) -> dict[str, str]:
    ddb, found = system.client("dynamodb"), {}
    pages = ddb.get_paginator("scan").paginate(
        TableName=system.outputs["TableName"], ConsistentRead=True,
        ProjectionExpression="id, #s", ExpressionAttributeNames={"#s": "status"},
    )  # fmt: skip
    for page in pages:
        for item in page["Items"]:
            if item["id"]["S"] in ids:
                found[item["id"]["S"]] = item.get("status", {}).get("S", "")
    return found


def status_of(system: System, item_id: str) -> str:
    return statuses(system, {item_id}).get(item_id, "")


def test_a_burst_all_ends_successful_and_each_message_is_published_once(
    system: System, counter: str
) -> None:
    drain(system, counter)
    ids = [f"burst-{uuid.uuid4()}" for _ in range(BURST)]
    ddb = system.client("dynamodb")
    for start in range(0, BURST, 25):
        requests = [{"PutRequest": {"Item": {"id": {"S": i}, "message": {"S": f"burst {i}"}}}}
                    for i in ids[start : start + 25]]  # fmt: skip
        answer = ddb.batch_write_item(RequestItems={system.outputs["TableName"]: requests})
        assert not answer.get("UnprocessedItems")

    def all_terminal() -> dict[str, str] | None:
        found = statuses(system, set(ids))
        done = {k: v for k, v in found.items() if v in ("Successful", "Failure", "Invalid")}
        return found if len(done) == BURST else None

    final = wait_for(all_terminal)
    published = Counter(body for body in drain(system, counter) if body.startswith("burst "))

    assert Counter(final.values()) == Counter({"Successful": BURST})
    assert published == Counter({f"burst {i}": 1 for i in ids})


def test_binary_attributes_never_stall_the_stream(system: System) -> None:
    ddb, table = system.client("dynamodb"), system.outputs["TableName"]
    binary_message, side, updated, after = (f"e2e-bin-{n}-{uuid.uuid4()}" for n in range(4))
    ddb.put_item(TableName=table, Item={"id": {"S": binary_message}, "message": {"B": b"\x00"}})
    ddb.put_item(TableName=table, Item={"id": {"S": side}, "message": {"S": "beside a blob"},
                                        "blob": {"B": b"\x01\x02"},
                                        "blobs": {"BS": [b"\x03", b"\x04"]}})  # fmt: skip
    ddb.put_item(TableName=table, Item={"id": {"S": updated}, "message": {"S": "then a blob"}})
    ddb.update_item(TableName=table, Key={"id": {"S": updated}},
                    UpdateExpression="SET added = :b",
                    ExpressionAttributeValues={":b": {"B": b"\x05"}})  # fmt: skip
    ddb.put_item(TableName=table, Item={"id": {"S": after}, "message": {"S": "after them"}})

    wait_for(lambda: status_of(system, after) == "Successful")

    assert status_of(system, binary_message) == "Invalid"
    assert status_of(system, side) == "Successful"
    assert status_of(system, updated) == "Successful"


def test_a_batch_that_always_fails_goes_to_the_on_failure_queue_and_the_shard_moves_on(
    system: System,
) -> None:
    sqs, ddb, table = system.client("sqs"), system.client("dynamodb"), system.outputs["TableName"]
    dlq = sqs.get_queue_url(QueueName=system.outputs["StreamDlqArn"].rsplit(":", 1)[1])["QueueUrl"]
    drain(system, dlq)
    init = system.outputs["InitProcessFunctionName"]
    broken = system.outputs["StateMachineArn"] + "-does-not-exist"
    saved = system.set_environment(init, STATE_MACHINE_ARN=broken)
    poison = f"e2e-poison-{uuid.uuid4()}"
    try:
        ddb.put_item(TableName=table, Item={"id": {"S": poison}, "message": {"S": "stuck"}})
        failures = wait_for(lambda: drain(system, dlq))
    finally:
        system.set_environment(init, **saved)
    after = f"e2e-after-poison-{uuid.uuid4()}"
    ddb.put_item(TableName=table, Item={"id": {"S": after}, "message": {"S": "moves on"}})

    wait_for(lambda: status_of(system, after) == "Successful")
    record = json.loads(failures[0])
    assert len(failures) == 1
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 6  # MaximumRetryAttempts 5
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1
    assert status_of(system, poison) == ""  # never started: no status was written
