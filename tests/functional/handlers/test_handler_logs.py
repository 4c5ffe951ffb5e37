"""Handler logs: JSON lines correlated by item key and execution name, never a body.

conftest.py checks after every handler test that stdout is JSON lines without the test
body; these tests drive each handler through its noisiest paths and check what the
lines carry.
"""

from __future__ import annotations

import pytest
from disa_common.errors import PublishError
from disa_init_process.handler import lambda_handler as init_process
from disa_process.handler import lambda_handler as process
from handler_support import BODY, FakeContext, put_message


def test_whole_flow_logs_ids_and_never_the_body(
    container, ddb, stream, topic, alarm, state_machine, logs
) -> None:
    put_message(ddb, "order-1")
    put_message(ddb, "too-big", {"S": BODY * 7000})

    init_process(stream.event(), FakeContext(), container)
    process(
        {"id": "order-1", "run": 1, "attempt": 1, "execution": "exec-1"}, FakeContext(), container
    )

    lines = logs.lines()
    assert BODY not in logs.text
    assert all({"time", "level", "event"} <= set(line) for line in lines if "_aws" not in line)
    (started,) = logs.events("execution started")
    assert started["id"] == "order-1"
    assert started["execution"].startswith("order-1-") and started["execution"].endswith("-r1")
    assert started["function"] == "disa_init_process" and started["requestId"] == "req-0001"
    (published,) = logs.events("published")
    assert (published["id"], published["execution"]) == ("order-1", "exec-1")
    (invalid,) = logs.events("item invalid")
    assert (invalid["id"], invalid["reason"]) == ("too-big", "TooLarge")


def test_publish_failure_logs_the_code_not_the_body(container, ddb, table, alarm, logs) -> None:
    put_message(ddb, "order-1")

    with pytest.raises(PublishError):
        process({"id": "order-1", "run": 1, "attempt": 1}, FakeContext(), container)

    assert BODY not in logs.text + "".join(str(line) for line in logs.lines())
    assert [line["level"] for line in logs.events("publish failed")] == ["ERROR"]


def test_log_level_filters_info(container, monkeypatch, ddb, table, topic, alarm, logs) -> None:
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    put_message(ddb, "order-1")

    process({"id": "order-1", "run": 1, "attempt": 1}, FakeContext(), container)

    lines = logs.lines()
    assert [line for line in lines if line.get("level") == "INFO"] == []
    assert len(logs.metrics("PublishSuccesses")) == 1  # metrics are not log levels
