"""Faults on every AWS call the handlers make, once each, on the whole flow (real handlers,
real state machine, on moto): every item still ends terminal, and nothing is published
twice.

A fault is injected after botocore's own retries would have given up (the hook raises
before the request is sent), so each case shows what the handlers, the state machine's
Catch, the stream's redelivery and the retry schedule make of an AWS error that reaches
our code. The state machine's own record writes are moto's and are not injected here;
their Retry/Catch are pinned in tests/unit/test_state_machine.py.
"""

from __future__ import annotations

import pytest
from handler_support import BODY, TABLE
from system import System, published_per_message

VALID = ["a", "b", "c"]

# (call site, what makes the call the one at that site)
SITES = [
    pytest.param("stepfunctions.StartExecution", None, False, id="init-start-execution"),
    pytest.param(
        "dynamodb.UpdateItem",
        lambda p: ":invalid" in p["ExpressionAttributeValues"],
        False,
        id="init-mark-invalid",
    ),
    pytest.param("cloudwatch.DescribeAlarms", None, False, id="process-alarm-read"),
    pytest.param(
        "dynamodb.UpdateItem",
        lambda p: ":attempt" in p["ExpressionAttributeValues"],
        False,
        id="process-claim",
    ),
    pytest.param("sns.Publish", None, False, id="process-publish"),
    pytest.param("dynamodb.Query", None, True, id="retry-query"),
    pytest.param(
        "dynamodb.UpdateItem",
        lambda p: ":lease_end" in p["ExpressionAttributeValues"],
        True,
        id="retry-claim",
    ),
    pytest.param(
        "stepfunctions.StartExecution",
        lambda p: not p["name"].endswith("-r1"),
        True,
        id="retry-start-execution",
    ),
]


@pytest.fixture
def system(container, monkeypatch, stream, topic, alarm) -> System:
    flow = System(container, monkeypatch)
    flow.attach(stream)
    return flow


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerError"])
@pytest.mark.parametrize(("operation", "when", "needs_a_retry"), SITES)
def test_one_fault_on_any_call_leaves_every_item_terminal_and_sent_once(
    system: System, operation, when, needs_a_retry, code
) -> None:
    if needs_a_retry:  # the retry function's calls happen only for a failed item
        system.faults.once("sns.Publish", "InternalError", lambda p: p["Message"].endswith(" a"))
    system.faults.once(operation, code, when or (lambda params: True))
    for key in VALID:
        system.put(key, f"{BODY} {key}")
    system.ddb.put_item(TableName=TABLE, Item={"id": {"S": "bad"}, "message": {"S": ""}})

    final = system.run_to_the_end([*VALID, "bad"])

    assert system.faults.fired[operation] == 1, "the fault was never injected"
    assert {key: item["status"] for key, item in final.items()} == {
        "a": "Successful",
        "b": "Successful",
        "c": "Successful",
        "bad": "Invalid",
    }
    assert published_per_message(system.sent()) == {(k, f"{BODY} {k}"): 1 for k in VALID}
