"""disa_init_process against moto: one execution per request, whatever the stream does.

A request is a write that leaves the item without a status: an insert or an overwrite.
"""

from __future__ import annotations

import base64
import threading
import time

import pytest
from disa_common import model
from disa_common.settings import SettingsError
from disa_init_process.handler import lambda_handler
from handler_support import (
    BODY,
    TABLE,
    FakeContext,
    close_executions,
    executions,
    get_item,
    item_runs,
    overwrite,
    put_message,
    stream_record,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_each_inserted_item_starts_one_named_execution(
    container, ddb, stream, state_machine
) -> None:
    keys = ("order-1", "order-2", "weird key/é")
    for key in keys:
        put_message(ddb, key)
    before = time.time()

    result = lambda_handler(stream.event(), FakeContext(), container)

    assert result == {"batchItemFailures": []}
    runs = item_runs(state_machine)
    assert set(runs) == set(keys) and all(len(r) == 1 for r in runs.values())
    ((token, run),) = runs["order-1"]
    payload = executions(state_machine)[model.execution_name("order-1", token, 1)]
    assert (payload["id"], payload["run"], payload["attempt"]) == ("order-1", 1, 1)
    assert payload["retryShard"] == model.retry_shard("order-1", 4)
    # First retry due after backoff(1): between half and all of RETRY_BASE_SECONDS (60).
    assert before + 29 <= payload["retryAt"] <= time.time() + 60
    assert get_item(ddb, "order-1").get(model.STATUS) is None  # the state machine claims it


def test_redelivered_batch_starts_nothing_new_and_reports_no_failure(
    container, ddb, stream, state_machine
) -> None:
    put_message(ddb, "order-1")
    event = stream.event()

    first = lambda_handler(event, FakeContext(), container)
    second = lambda_handler(event, FakeContext(), container)

    assert first == second == {"batchItemFailures": []}
    assert len(item_runs(state_machine)["order-1"]) == 1


def test_an_overwrite_is_a_new_request_with_a_new_name(
    container, ddb, stream, state_machine
) -> None:
    put_message(ddb, "order-1")
    lambda_handler(stream.event(), FakeContext(), container)
    ddb.update_item(  # what the state machine leaves: Successful
        TableName=TABLE,
        Key={"id": {"S": "order-1"}},
        UpdateExpression="SET #s = :s, #r = :r",
        ExpressionAttributeNames={"#s": model.STATUS, "#r": model.RUN},
        ExpressionAttributeValues={":s": {"S": "Successful"}, ":r": {"N": "1"}},
    )
    overwrite(ddb, "order-1")

    result = lambda_handler(stream.event(), FakeContext(), container)

    assert result == {"batchItemFailures": []}
    (first, second) = item_runs(state_machine)["order-1"]
    assert first[0] != second[0] and first[1] == second[1] == 1


def test_a_delete_and_insert_again_is_a_new_request(container, ddb, stream, state_machine) -> None:
    put_message(ddb, "order-1")
    lambda_handler(stream.event(), FakeContext(), container)
    ddb.delete_item(TableName=TABLE, Key={"id": {"S": "order-1"}})
    put_message(ddb, "order-1")

    assert lambda_handler(stream.event(), FakeContext(), container) == {"batchItemFailures": []}
    assert len(item_runs(state_machine)["order-1"]) == 2


@pytest.mark.parametrize(
    ("case", "status"),
    [
        pytest.param("successful", "Successful", id="update-of-a-successful-item"),
        pytest.param("failure", "Failure", id="update-of-an-item-waiting-for-retry"),
        pytest.param("processing", "Processing", id="update-while-processing"),
    ],
)
def test_a_status_preserving_update_is_not_a_request(
    container, ddb, stream, state_machine, calls, case, status
) -> None:
    put_message(ddb, case, status={"S": status})
    stream.new_records()  # the insert with a status is not a request either
    ddb.update_item(
        TableName=TABLE,
        Key={"id": {"S": case}},
        UpdateExpression="SET note = :n",
        ExpressionAttributeValues={":n": {"S": "edited by the user"}},
    )
    calls.clear()

    assert lambda_handler(stream.event(), FakeContext(), container) == {"batchItemFailures": []}
    assert executions(state_machine) == {}
    assert calls.calls == []


@pytest.mark.parametrize(
    ("case", "messages", "status", "reason", "started"),
    [
        pytest.param(
            "fixed", [{"S": ""}, None], None, None, 1, id="invalid-then-valid-starts-once"
        ),
        pytest.param(
            "broken", [None, {"N": "1"}], "Invalid", "NotAString", 0, id="valid-then-invalid"
        ),
        pytest.param("twice", [None, None], None, None, 1, id="two-valid-writes-one-run"),
    ],
)
def test_only_the_newest_request_of_an_item_in_a_batch_counts(
    container, ddb, stream, state_machine, case, messages, status, reason, started
) -> None:
    for message in messages:
        put_message(ddb, case, message)

    assert lambda_handler(stream.event(), FakeContext(), container) == {"batchItemFailures": []}

    item = get_item(ddb, case)
    assert item.get(model.STATUS, {}).get("S") == status
    assert item.get(model.REASON, {}).get("S") == reason
    assert len(item_runs(state_machine).get(case, [])) == started


@pytest.mark.parametrize(
    ("case", "message", "reason"),
    [
        pytest.param("missing", None, "MissingMessage", id="missing"),
        pytest.param("empty", {"S": ""}, "EmptyMessage", id="empty"),
        pytest.param("number", {"N": "42"}, "NotAString", id="number"),
        pytest.param("list", {"L": [{"S": "x"}]}, "NotAString", id="list"),
        pytest.param("binary", {"B": b"\x00\xffbytes"}, "NotAString", id="binary"),
        pytest.param("oversized", {"S": BODY * 7000}, "TooLarge", id="oversized"),
    ],
)
def test_invalid_message_is_marked_invalid_and_never_started(
    container, ddb, stream, state_machine, logs, case, message, reason
) -> None:
    key = f"bad-{case}"
    if message is None:
        ddb.put_item(TableName=TABLE, Item={model.KEY: {"S": key}})
    else:
        put_message(ddb, key, message)

    result = lambda_handler(stream.event(), FakeContext(), container)

    assert result == {"batchItemFailures": []}
    item = get_item(ddb, key)
    assert item[model.STATUS] == {"S": model.Status.INVALID.value}
    assert item[model.REASON] == {"S": reason}
    assert model.UPDATED_AT in item
    assert executions(state_machine) == {}
    (metric,) = logs.metrics("InvalidItems")
    assert metric["InvalidItems"] == 1 and metric["id"] == key


def test_records_with_binary_attributes_as_lambda_delivers_them(
    container, table, state_machine
) -> None:
    """Lambda hands binary values over as base64 text (B) and lists of it (BS)."""
    beside = {
        "thumbnail": {"B": b64(b"\x89PNG\r\n")},
        "chunks": {"BS": [b64(b"\x00"), b64(b"\x01\x02")]},
        "meta": {"M": {"raw": {"B": b64(b"\xff")}, "parts": {"L": [{"B": b64(b"\x00")}]}}},
    }
    for key in ("with-binary", "binary-message"):
        message = {"S": BODY} if key == "with-binary" else {"B": b64(BODY.encode())}
        put_message(container.client("dynamodb"), key, message)
    records = [
        stream_record("with-binary", {model.MESSAGE: {"S": BODY}, **beside}, sequence="1"),
        stream_record(
            "binary-message",
            {model.MESSAGE: {"B": b64(BODY.encode())}, **beside},
            sequence="2",
            event_id="e-2",
        ),
        stream_record(
            "binary-status", {model.STATUS: {"B": b64(b"x")}}, sequence="3", event_id="e-3"
        ),
    ]

    result = lambda_handler({"Records": records}, FakeContext(), container)

    assert result == {"batchItemFailures": []}
    assert set(item_runs(state_machine)) == {"with-binary"}
    item = get_item(container.client("dynamodb"), "binary-message")
    assert (item[model.STATUS], item[model.REASON]) == ({"S": "Invalid"}, {"S": "NotAString"})


# SNS counts the body plus every message attribute's name, type and value, in UTF-8 bytes,
# against 262,144 bytes: "All parts of the message attribute, including name, type, and
# value, are included in the message size restriction, which is currently 256 KB (262,144
# bytes)" (https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html), and
# the Publish API's Message: "at most 256 KB in size (262,144 bytes, not 262,144
# characters)" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
SNS_DOCUMENTED_LIMIT = 262_144
ATTRIBUTE_BYTES = len("disa_id") + len("String")


@pytest.mark.parametrize(
    ("case", "key", "body_bytes", "reason"),
    [
        pytest.param("at", "big", SNS_DOCUMENTED_LIMIT - ATTRIBUTE_BYTES - 3, None, id="at-limit"),
        pytest.param(
            "over", "big", SNS_DOCUMENTED_LIMIT - ATTRIBUTE_BYTES - 2, "TooLarge", id="one-over"
        ),
        pytest.param(
            "long-key",
            "k" * 1000,
            SNS_DOCUMENTED_LIMIT - ATTRIBUTE_BYTES - 1000,
            None,
            id="key-counts-at-limit",
        ),
        pytest.param(
            "long-key-over",
            "k" * 1000,
            SNS_DOCUMENTED_LIMIT - ATTRIBUTE_BYTES - 999,
            "TooLarge",
            id="key-counts-one-over",
        ),
    ],
)
def test_the_limit_is_snss_in_bytes_body_plus_attribute(
    container, ddb, stream, state_machine, case, key, body_bytes, reason
) -> None:
    assert model.SNS_MAX_PUBLISH_BYTES == SNS_DOCUMENTED_LIMIT
    # Two-byte characters: the limit is in bytes, not characters.
    body = "é" * (body_bytes // 2) + "x" * (body_bytes % 2)
    assert len(body.encode()) == body_bytes
    put_message(ddb, key, {"S": body})

    assert lambda_handler(stream.event(), FakeContext(), container) == {"batchItemFailures": []}

    assert get_item(ddb, key).get(model.REASON, {}).get("S") == reason
    assert len(item_runs(state_machine).get(key, [])) == (0 if reason else 1)


INVALID = [
    pytest.param(None, id="missing"),
    pytest.param({"S": ""}, id="empty"),
    pytest.param({"N": "7"}, id="not-a-string"),
    pytest.param({"S": BODY * 7000}, id="too-large"),
]


def put_invalid(ddb, key: str, message) -> None:
    if message is None:
        ddb.put_item(TableName=TABLE, Item={model.KEY: {"S": key}})
    else:
        put_message(ddb, key, message)


@pytest.mark.parametrize("message", INVALID)
def test_redelivered_invalid_record_is_counted_once(
    container, ddb, stream, state_machine, logs, message
) -> None:
    put_invalid(ddb, "bad", message)
    event = stream.event()

    lambda_handler(event, FakeContext(), container)
    lambda_handler(event, FakeContext(), container)

    assert len(logs.metrics("InvalidItems")) == 1


@pytest.mark.parametrize("message", INVALID)
def test_invalid_item_deleted_before_the_write_is_not_recreated(
    container, ddb, stream, state_machine, message
) -> None:
    put_invalid(ddb, "gone", message)
    event = stream.event()
    ddb.delete_item(TableName=TABLE, Key={model.KEY: {"S": "gone"}})

    assert lambda_handler(event, FakeContext(), container) == {"batchItemFailures": []}
    assert get_item(ddb, "gone") is None


@pytest.mark.parametrize("message", INVALID)
def test_an_invalid_record_leaves_an_item_that_got_a_status_meanwhile(
    container, ddb, stream, state_machine, logs, message
) -> None:
    """A run of another request took the item (and will mark it itself)."""
    put_invalid(ddb, "taken", message)
    event = stream.event()
    ddb.update_item(
        TableName=TABLE,
        Key={model.KEY: {"S": "taken"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": model.STATUS},
        ExpressionAttributeValues={":s": {"S": "Processing"}},
    )
    before = get_item(ddb, "taken")

    assert lambda_handler(event, FakeContext(), container) == {"batchItemFailures": []}
    assert get_item(ddb, "taken") == before
    assert logs.metrics("InvalidItems") == []


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "AccessDeniedException", "InternalServerError"]
)
def test_a_failed_invalid_mark_is_reported_and_redelivery_marks_it(
    container, ddb, stream, state_machine, fail_calls, logs, code
) -> None:
    put_message(ddb, "bad", {"S": ""})
    event = stream.event()
    broken = {"on": True}
    fail_calls("dynamodb.UpdateItem", code, lambda params: broken["on"])

    first = lambda_handler(event, FakeContext(), container)

    sequence = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert first == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    assert model.STATUS not in get_item(ddb, "bad")
    assert logs.metrics("InvalidItems") == []
    (failed,) = logs.events("record failed")
    assert failed["error"] == code

    broken["on"] = False

    assert lambda_handler(event, FakeContext(), container) == {"batchItemFailures": []}
    assert get_item(ddb, "bad")[model.STATUS] == {"S": "Invalid"}


def test_only_the_record_that_failed_is_reported(
    container, ddb, stream, state_machine, fail_calls
) -> None:
    for key in ("a", "b", "c", "d"):
        put_message(ddb, key)
    event = stream.event()
    fail_calls("sfn.StartExecution", "ServiceUnavailable", lambda p: p["name"].startswith("c-"))

    result = lambda_handler(event, FakeContext(), container)

    sequence = {
        r["dynamodb"]["NewImage"]["id"]["S"]: r["dynamodb"]["SequenceNumber"]
        for r in event["Records"]
    }
    assert result == {"batchItemFailures": [{"itemIdentifier": sequence["c"]}]}
    assert set(item_runs(state_machine)) == {"a", "b", "d"}


def test_a_record_retried_after_failure_starts_then(
    container, ddb, stream, state_machine, fail_calls
) -> None:
    put_message(ddb, "a")
    event = stream.event()
    broken = {"on": True}
    fail_calls("sfn.StartExecution", "ThrottlingException", lambda p: broken["on"])
    assert len(lambda_handler(event, FakeContext(), container)["batchItemFailures"]) == 1

    broken["on"] = False

    assert lambda_handler(event, FakeContext(), container) == {"batchItemFailures": []}
    assert len(item_runs(state_machine)["a"]) == 1


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
def test_empty_or_malformed_batch_is_handled_without_calls(container, event, calls) -> None:
    assert lambda_handler(event, FakeContext(), container) == {"batchItemFailures": []}
    assert calls.calls == []


def test_malformed_records_are_isolated_from_good_ones(
    container, ddb, stream, state_machine
) -> None:
    put_message(ddb, "good")
    records = stream.new_records()
    keys_only = {
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"id": {"S": "x"}}, "SequenceNumber": "7"},
    }
    no_id = stream_record("y", {model.MESSAGE: {"S": BODY}}, sequence="8", event_id="")
    del no_id["dynamodb"]["SequenceNumber"]
    removed = dict(records[0], eventName="REMOVE")
    status_write = stream_record("z", {model.STATUS: {"S": "Processing"}}, "MODIFY", "9", "e-9")
    event = {"Records": ["garbage", keys_only, no_id, removed, status_write, *records]}

    result = lambda_handler(event, FakeContext(), container)

    # The record without a new image goes back to the stream (and on to its DLQ), never
    # marked Invalid; a non-object (or a record without sequence number) has nothing to
    # report; a delete and a status write are not requests.
    assert result == {"batchItemFailures": [{"itemIdentifier": "7"}]}
    assert set(item_runs(state_machine)) == {"good"}
    assert get_item(ddb, "x") is None


def test_a_record_without_event_id_is_named_by_its_sequence_number(
    container, ddb, table, state_machine
) -> None:
    put_message(ddb, "a")
    record = stream_record("a", {model.MESSAGE: {"S": BODY}}, sequence="41", event_id="")

    lambda_handler({"Records": [record]}, FakeContext(), container)
    lambda_handler({"Records": [record]}, FakeContext(), container)

    assert item_runs(state_machine)["a"] == [(model.request_token("a", "41"), 1)]


def test_item_inserted_with_a_status_is_left_alone(container, ddb, stream, state_machine) -> None:
    put_message(ddb, "done", status={"S": model.Status.SUCCESSFUL.value})

    assert lambda_handler(stream.event(), FakeContext(), container) == {"batchItemFailures": []}
    assert executions(state_machine) == {}


def test_missing_state_machine_setting_fails_loudly(container, monkeypatch, ddb, stream) -> None:
    monkeypatch.delenv("STATE_MACHINE_ARN")
    put_message(ddb, "a")

    with pytest.raises(SettingsError, match="STATE_MACHINE_ARN"):
        lambda_handler(stream.event(), FakeContext(), container)


def test_large_batch_starts_every_item_concurrently(
    container, ddb, stream, state_machine, calls
) -> None:
    for i in range(40):
        put_message(ddb, f"bulk-{i}")

    assert lambda_handler(stream.event(), FakeContext(), container) == {"batchItemFailures": []}
    assert len(executions(state_machine)) == 40
    assert calls.count("states:StartExecution") == 40


@pytest.mark.parametrize(
    ("case", "first", "then", "status"),
    [
        pytest.param("missing-fixed", None, {"S": BODY}, None, id="missing-then-fixed"),
        pytest.param("number-fixed", {"N": "1"}, {"S": BODY}, None, id="not-a-string-then-fixed"),
        pytest.param("binary-fixed", {"B": b"\x00"}, {"S": BODY}, None, id="binary-then-fixed"),
        pytest.param("still-bad", {"N": "1"}, {"L": []}, "Invalid", id="still-not-a-string"),
        pytest.param("now-missing", {"S": ""}, None, None, id="empty-then-missing"),
        pytest.param("empty-number", {"S": ""}, {"N": "2"}, None, id="empty-then-number"),
    ],
)
def test_an_invalid_record_does_not_mark_an_item_rewritten_since(
    container, ddb, stream, state_machine, case, first, then, status
) -> None:
    """The user fixed the item between the record and the mark: the fix is a new request
    (a later record), so this record's mark must not land on it."""
    if first is None:
        ddb.put_item(TableName=TABLE, Item={model.KEY: {"S": case}})
    else:
        put_message(ddb, case, first)
    event = stream.event()
    if then is None:
        ddb.put_item(TableName=TABLE, Item={model.KEY: {"S": case}, "other": {"S": "x"}})
    else:
        put_message(ddb, case, then)

    assert lambda_handler(event, FakeContext(), container) == {"batchItemFailures": []}

    assert get_item(ddb, case).get(model.STATUS, {}).get("S") == status


def test_start_concurrency_bounds_the_threads_that_start_executions(
    container, monkeypatch, ddb, stream, state_machine
) -> None:
    monkeypatch.setenv("START_CONCURRENCY", "2")
    threads = set()
    container.session.events.register(
        "before-call.sfn.StartExecution",
        lambda **_: threads.add(threading.current_thread().name),
    )
    for i in range(24):
        put_message(ddb, f"bulk-{i}")

    assert lambda_handler(stream.event(), FakeContext(), container) == {"batchItemFailures": []}
    assert 1 <= len(threads) <= 2


def test_the_batch_log_counts_each_outcome(container, ddb, stream, state_machine, logs) -> None:
    put_message(ddb, "a")
    put_message(ddb, "b")
    put_message(ddb, "bad", {"S": ""})
    event = stream.event()

    lambda_handler(event, FakeContext(), container)
    close_executions(state_machine)  # so the repeat is refused, not an idempotent success
    lambda_handler(event, FakeContext(), container)

    first, second = logs.events("batch done")
    assert {k: first[k] for k in ("records", "started", "invalid")} == {
        "records": 3, "started": 2, "invalid": 1,
    }  # fmt: skip
    assert "started" not in second and second["duplicate"] == 3
    started = logs.events("execution started")
    ((token, _),) = item_runs(state_machine)["a"]
    assert model.execution_name("a", token, 1) in {line["execution"] for line in started}
    assert len(logs.events("execution already exists")) == 2


def test_a_record_whose_key_is_not_a_string_fails_alone(
    container, ddb, stream, state_machine
) -> None:
    put_message(ddb, "good")
    records = stream.new_records()
    odd_key = stream_record("x", {model.MESSAGE: {"S": BODY}}, sequence="8", event_id="e-8")
    odd_key["dynamodb"]["NewImage"][model.KEY] = {"N": "5"}
    odd_number = stream_record("y", {}, sequence="9", event_id="")
    odd_number["dynamodb"]["SequenceNumber"] = 9
    del odd_number["dynamodb"]["NewImage"]

    result = lambda_handler({"Records": [odd_key, odd_number, *records]}, FakeContext(), container)

    # A sequence number that is not a string cannot be reported (Lambda would reject it).
    assert result == {"batchItemFailures": [{"itemIdentifier": "8"}]}
    assert set(item_runs(state_machine)) == {"good"}
