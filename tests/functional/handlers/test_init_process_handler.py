"""disa_init_process against moto: one execution per inserted item, whatever the stream does."""

from __future__ import annotations

import time

import pytest
from disa_common import model
from disa_common.settings import SettingsError
from disa_init_process.handler import lambda_handler
from handler_support import FakeContext, executions, get_item, put_message


def test_each_inserted_item_starts_one_named_execution(ddb, stream, state_machine) -> None:
    for key in ("order-1", "order-2", "weird key/é"):
        put_message(ddb, key)
    before = time.time()

    result = lambda_handler(stream.event(), FakeContext())

    assert result == {"batchItemFailures": []}
    started = executions(state_machine)
    assert set(started) == {
        model.execution_name(k, 1) for k in ("order-1", "order-2", "weird key/é")
    }
    payload = started[model.execution_name("order-1", 1)]
    assert payload["id"] == "order-1"
    assert (payload["run"], payload["attempt"]) == (1, 1)
    assert payload["retryShard"] == model.retry_shard("order-1", 4)
    # First retry due after backoff(1): between half and all of RETRY_BASE_SECONDS (60).
    assert before + 29 <= payload["retryAt"] <= time.time() + 60
    assert get_item(ddb, "order-1").get(model.STATUS) is None  # the state machine claims it


def test_redelivered_batch_starts_nothing_new_and_reports_no_failure(
    ddb, stream, state_machine
) -> None:
    put_message(ddb, "order-1")
    event = stream.event()

    first = lambda_handler(event, FakeContext())
    second = lambda_handler(event, FakeContext())

    assert first == second == {"batchItemFailures": []}
    assert list(executions(state_machine)) == [model.execution_name("order-1", 1)]


@pytest.mark.parametrize(
    ("case", "message", "reason"),
    [
        pytest.param("missing", None, "MissingMessage", id="missing"),
        pytest.param("empty", {"S": ""}, "EmptyMessage", id="empty"),
        pytest.param("number", {"N": "42"}, "NotAString", id="number"),
        pytest.param("list", {"L": [{"S": "x"}]}, "NotAString", id="list"),
        pytest.param(
            "oversized",
            {"S": "BODY-7f3a9c-secret-payload-never-log-me" * 7000},
            "TooLarge",
            id="oversized",
        ),
    ],
)
def test_invalid_message_is_marked_invalid_and_never_started(
    ddb, stream, state_machine, logs, case, message, reason
) -> None:
    key = f"bad-{case}"
    if message is None:
        ddb.put_item(TableName="disa-test-messages", Item={model.KEY: {"S": key}})
    else:
        put_message(ddb, key, message)

    result = lambda_handler(stream.event(), FakeContext())

    assert result == {"batchItemFailures": []}
    item = get_item(ddb, key)
    assert item[model.STATUS] == {"S": model.Status.INVALID.value}
    assert item[model.REASON] == {"S": reason}
    assert model.UPDATED_AT in item
    assert executions(state_machine) == {}
    (metric,) = logs.metrics("InvalidItems")
    assert metric["InvalidItems"] == 1 and metric["id"] == key


def test_message_exactly_at_the_limit_is_valid(ddb, stream, state_machine) -> None:
    put_message(ddb, "big", {"S": "x" * model.MAX_MESSAGE_BYTES})

    assert lambda_handler(stream.event(), FakeContext()) == {"batchItemFailures": []}
    assert list(executions(state_machine)) == [model.execution_name("big", 1)]


def test_redelivered_invalid_record_is_counted_once(ddb, stream, state_machine, logs) -> None:
    put_message(ddb, "bad", {"S": ""})
    event = stream.event()

    lambda_handler(event, FakeContext())
    lambda_handler(event, FakeContext())

    assert len(logs.metrics("InvalidItems")) == 1


def test_only_the_record_that_failed_is_reported(ddb, stream, state_machine, fail_calls) -> None:
    for key in ("a", "b", "c", "d"):
        put_message(ddb, key)
    event = stream.event()
    failing = model.execution_name("c", 1)
    fail_calls("sfn.StartExecution", "ServiceUnavailable", lambda p: p["name"] == failing)

    result = lambda_handler(event, FakeContext())

    sequence = {
        r["dynamodb"]["NewImage"]["id"]["S"]: r["dynamodb"]["SequenceNumber"]
        for r in event["Records"]
    }
    assert result == {"batchItemFailures": [{"itemIdentifier": sequence["c"]}]}
    assert set(executions(state_machine)) == {model.execution_name(k, 1) for k in "abd"}


def test_a_record_retried_after_failure_starts_then(ddb, stream, state_machine, fail_calls) -> None:
    put_message(ddb, "a")
    event = stream.event()
    broken = {"on": True}
    fail_calls("sfn.StartExecution", "ThrottlingException", lambda p: broken["on"])
    assert len(lambda_handler(event, FakeContext())["batchItemFailures"]) == 1

    broken["on"] = False

    assert lambda_handler(event, FakeContext()) == {"batchItemFailures": []}
    assert list(executions(state_machine)) == [model.execution_name("a", 1)]


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"Records": []}, id="no-records"),
        pytest.param({}, id="empty-object"),
        pytest.param(None, id="null"),
        pytest.param({"Records": "not-a-list"}, id="records-not-a-list"),
        pytest.param(["not", "an", "object"], id="list"),
    ],
)
def test_empty_or_malformed_batch_is_handled_without_calls(event, calls) -> None:
    assert lambda_handler(event, FakeContext()) == {"batchItemFailures": []}
    assert calls.calls == []


def test_malformed_records_are_isolated_from_good_ones(ddb, stream, state_machine) -> None:
    put_message(ddb, "good")
    records = stream.new_records()
    keys_only = {
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"id": {"S": "x"}}, "SequenceNumber": "7"},
    }
    modify = dict(records[0], eventName="MODIFY")
    event = {"Records": ["garbage", keys_only, modify, *records]}

    result = lambda_handler(event, FakeContext())

    # The record without a new image goes back to the stream (and on to its DLQ), never
    # marked Invalid; a non-object has no sequence number to report; MODIFY is ignored.
    assert result == {"batchItemFailures": [{"itemIdentifier": "7"}]}
    assert list(executions(state_machine)) == [model.execution_name("good", 1)]
    assert get_item(ddb, "x") is None


def test_item_inserted_with_a_status_is_left_alone(ddb, stream, state_machine) -> None:
    put_message(ddb, "done", status={"S": model.Status.SUCCESSFUL.value})

    assert lambda_handler(stream.event(), FakeContext()) == {"batchItemFailures": []}
    assert executions(state_machine) == {}


def test_invalid_item_deleted_before_the_write_is_not_recreated(ddb, stream, state_machine) -> None:
    put_message(ddb, "gone", {"S": ""})
    event = stream.event()
    ddb.delete_item(TableName="disa-test-messages", Key={model.KEY: {"S": "gone"}})

    assert lambda_handler(event, FakeContext()) == {"batchItemFailures": []}
    assert get_item(ddb, "gone") is None


def test_missing_state_machine_setting_fails_loudly(monkeypatch, ddb, stream) -> None:
    monkeypatch.delenv("STATE_MACHINE_ARN")
    put_message(ddb, "a")

    with pytest.raises(SettingsError, match="STATE_MACHINE_ARN"):
        lambda_handler(stream.event(), FakeContext())


def test_large_batch_starts_every_item_concurrently(ddb, stream, state_machine, calls) -> None:
    for i in range(40):
        put_message(ddb, f"bulk-{i}")

    assert lambda_handler(stream.event(), FakeContext()) == {"batchItemFailures": []}
    assert len(executions(state_machine)) == 40
    assert calls.count("states:StartExecution") == 40
