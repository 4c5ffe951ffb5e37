"""Every AWS call a handler makes is in the shared table of calls (tests/support/aws_calls.py),
which the IAM template is checked against; and each handler's ordinary run uses every call
the table lists for it, so the table (and the roles) grant nothing unused.
"""

from __future__ import annotations

from disa_init_process.handler import lambda_handler as init_process
from disa_process.handler import lambda_handler as process
from disa_retry.handler import lambda_handler as retry
from handler_support import FakeContext, put_due, put_message

from tests.support.aws_calls import CODE_CALLS


def test_init_process_calls_are_exactly_the_table(
    container, ddb, stream, state_machine, calls
) -> None:
    put_message(ddb, "good")
    put_message(ddb, "bad", {"S": ""})

    assert init_process(stream.event(), FakeContext(), container) == {"batchItemFailures": []}

    assert set(calls.calls) == CODE_CALLS["disa_init_process"]


def test_process_calls_are_exactly_the_table(container, ddb, table, topic, alarm, calls) -> None:
    put_message(ddb, "good")
    payload = {"id": "good", "request": "0123456789ab", "run": 1, "attempt": 1}

    assert process(payload, FakeContext(), container)["outcome"] == "published"

    assert set(calls.calls) == CODE_CALLS["disa_process"]


def test_retry_calls_are_exactly_the_table(container, ddb, table, state_machine, calls) -> None:
    for key, attempts in (("again", 1), ("tired", 5)):
        put_due(ddb, key, attempts)

    result = retry({}, FakeContext(), container)

    assert (result["redriven"], result["exhausted"]) == (1, 1)
    assert set(calls.calls) == CODE_CALLS["disa_retry"]


def test_happy_path_costs_per_message(
    container, ddb, stream, topic, alarm, state_machine, calls
) -> None:
    """start + claim + publish in code (the state machine's record is the fourth call)."""
    keys = [f"m-{i}" for i in range(20)]
    for key in keys:
        put_message(ddb, key)

    init_process(stream.event(), FakeContext(), container)
    for key in keys:
        process({"id": key, "run": 1, "attempt": 1}, FakeContext(), container)

    assert calls.count("states:StartExecution") == 20
    assert calls.count("dynamodb:UpdateItem") == 20
    assert calls.count("sns:Publish") == 20
    assert calls.count("cloudwatch:DescribeAlarms") == 1  # cached for ALARM_CACHE_SECONDS
