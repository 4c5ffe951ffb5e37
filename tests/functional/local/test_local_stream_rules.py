"""The stream poller's rules without an emulator: serialisation, limits, batching windows,
and the poller's handling of failures driven by scripted outcomes and an injected clock."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from deployer.local import stream_records
from deployer.local.patches import stream_mappings


def mapping(**fields: Any) -> Any:
    defaults = {
        "filter_criteria": None, "batch_size": 100, "region": "us-east-1",
        "event_source_arn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
        "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "max_retry_attempts": None, "max_record_age": None, "bisect_on_error": None,
        "max_batch_window": None, "destination_config": None, "uuid": "esm-1",
        "function_response_types": None,
    }  # fmt: skip
    return SimpleNamespace(**{**defaults, **fields})


def test_a_record_is_serialised_as_lambda_does_every_attribute_type() -> None:
    from datetime import datetime

    record = {
        "eventID": "e", "eventName": "INSERT", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2024, 1, 2, 3, 4, 5),
            "NewImage": {
                "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"\x01"]}, "n": {"N": "1.50"},
                "m": {"M": {"b": {"B": b"\x02"}}}, "l": {"L": [{"B": b"\x03"}, {"S": "x"}]},
                "already": {"B": "AP8="},
            },
        },
    }  # fmt: skip

    shaped = stream_records.lambda_record(record, mapping())

    image = shaped["dynamodb"]["NewImage"]
    assert image["b"] == {"B": "AP8="} and image["already"] == {"B": "AP8="}
    assert image["bs"] == {"BS": ["AQ=="]} and image["n"] == {"N": "1.50"}
    assert image["m"] == {"M": {"b": {"B": "Ag=="}}}
    assert image["l"] == {"L": [{"B": "Aw=="}, {"S": "x"}]}
    assert shaped["dynamodb"]["ApproximateCreationDateTime"] == 1704164645.0
    assert shaped["awsRegion"] == "us-east-1" and shaped["eventSourceARN"].endswith("/x")
    assert record["dynamodb"]["NewImage"]["b"] == {"B": b"\x00\xff"}  # moto's copy untouched


def test_a_record_that_cannot_be_serialised_fails_there() -> None:
    record = {"eventID": "e", "eventName": "INSERT", "eventVersion": "1.1",
              "eventSource": "aws:dynamodb", "dynamodb": {"NewImage": {"x": object()}}}  # fmt: skip

    with pytest.raises(TypeError):
        stream_records.lambda_record(record, mapping())


@pytest.mark.parametrize(
    ("case", "limit", "attempts", "exhausted"),
    [
        ("no limit (absent)", None, 10_000, False),
        ("no limit (-1)", -1, 10_000, False),
        ("zero retries: the first failure ends it", 0, 1, True),
        ("within the retries", 2, 2, False),
        ("past the retries", 2, 3, True),
    ],
)
def test_retries_exhausted(case: str, limit: int | None, attempts: int, exhausted: bool) -> None:
    assert stream_records.retries_exhausted(mapping(max_retry_attempts=limit), attempts) is (
        exhausted
    )


@pytest.mark.parametrize(
    ("case", "limit", "age", "old"),
    [("no limit", -1, 10**9, False), ("young", 60, 59, False), ("too old", 60, 61, True)],
)
def test_too_old(case: str, limit: int, age: float, old: bool) -> None:
    assert stream_records.too_old(mapping(max_record_age=limit), 1000.0, 1000.0 + age) is old


@pytest.mark.parametrize(
    ("case", "window", "size", "waited", "ready"),
    [
        ("no window: at once", None, 1, 0.0, True),
        ("window, not full, young", 1, 1, 0.5, False),
        ("window, not full, waited", 1, 1, 1.0, True),
        ("window, full", 1, 2, 0.0, True),
    ],
)
def test_batch_ready(case: str, window: int | None, size: int, waited: float, ready: bool) -> None:
    esm = mapping(max_batch_window=window, batch_size=2)

    assert stream_records.batch_ready(esm, size, 100.0, 100.0 + waited) is ready


def test_halves_keep_order_and_every_record() -> None:
    assert stream_records.halves([1, 2, 3, 4, 5]) == [[1, 2, 3], [4, 5]]


def test_the_on_failure_record_describes_the_batch_without_its_content() -> None:
    batch = [{"dynamodb": {"SequenceNumber": "7", "ApproximateCreationDateTime": 0.0,
                           "NewImage": {"message": {"S": "secret"}}}},
             {"dynamodb": {"SequenceNumber": "9", "ApproximateCreationDateTime": 1.5}}]  # fmt: skip

    record = stream_records.failure_record(mapping(), "shard-1", batch, "RecordAgeExceeded", 3, 2.0)

    assert record["requestContext"] == {
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "condition": "RecordAgeExceeded", "approximateInvokeCount": 3,
    }  # fmt: skip
    assert record["DDBStreamBatchInfo"] == {
        "shardId": "shard-1", "startSequenceNumber": "7", "endSequenceNumber": "9",
        "approximateArrivalOfFirstRecord": "1970-01-01T00:00:00.000Z",
        "approximateArrivalOfLastRecord": "1970-01-01T00:00:01.500Z", "batchSize": 2,
        "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
    }  # fmt: skip
    assert "secret" not in json.dumps(record)


class FakeStreamRecord:
    def __init__(self, seq: int, created: float = 0.0) -> None:
        self.record = {"eventID": str(seq), "eventName": "INSERT", "eventVersion": "1.1",
                       "eventSource": "aws:dynamodb",
                       "dynamodb": {"SequenceNumber": str(seq), "Keys": {"id": {"S": str(seq)}},
                                    "ApproximateCreationDateTime": created}}  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return self.record


def poller_run(
    esm: Any, records: list[Any], answers: list[tuple[str, int]], now: float = 0.0
) -> Any:
    """Drive the poller over one shard with scripted invocation outcomes (no emulator)."""
    clock = [now]
    poller = stream_mappings.StreamPoller(clock=lambda: clock[0])
    cursor = stream_mappings.Cursor(SimpleNamespace(items=records, id="shard-1"), 0)
    sent: list[list[str]] = []
    discarded: list[tuple[list[str], str, int]] = []

    def invoke(esm: Any, function: Any, event: str | None) -> tuple[str, int]:
        sent.append([r["dynamodb"]["SequenceNumber"] for r in json.loads(event or "{}")
                     .get("Records", [])] if event else ["(not serialisable)"])  # fmt: skip
        return answers.pop(0)

    def discard(esm: Any, shard: str, batch: list[Any], condition: str, n: int, at: float) -> None:
        discarded.append(([r.to_json()["dynamodb"]["SequenceNumber"] for r in batch], condition, n))

    originals = (stream_mappings.invoke, stream_mappings.discard, stream_mappings.function_of)
    stream_mappings.invoke, stream_mappings.discard = invoke, discard
    stream_mappings.function_of = lambda esm: None
    try:
        for _ in range(50):
            clock[0] += stream_mappings.MAX_BACKOFF_SECONDS
            poller.deliver(esm, cursor)
            if not answers:
                break
    finally:
        stream_mappings.invoke, stream_mappings.discard, stream_mappings.function_of = originals
    return SimpleNamespace(sent=sent, discarded=discarded, cursor=cursor)


DONE, ERROR = ("done", 0), ("error", 0)


def test_bisect_splits_without_spending_retries_and_discards_the_poison_record() -> None:
    esm = mapping(bisect_on_error=True, max_retry_attempts=1, batch_size=4)
    records = [FakeStreamRecord(n) for n in (1, 2, 3, 4)]

    run = poller_run(esm, records, [ERROR, DONE, ERROR, ERROR, ERROR, DONE])

    assert run.sent == [["1", "2", "3", "4"], ["1", "2"], ["3", "4"], ["3"], ["3"], ["4"]]
    assert run.discarded == [(["3"], "RetryAttemptsExhausted", 2)]
    assert run.cursor.position == 4 and run.cursor.batches == []


def test_without_bisect_the_whole_batch_is_retried_then_discarded() -> None:
    esm = mapping(max_retry_attempts=2, batch_size=2)
    records = [FakeStreamRecord(n) for n in (1, 2, 3)]

    run = poller_run(esm, records, [ERROR, ERROR, ERROR, DONE])

    assert run.sent == [["1", "2"]] * 3 + [["3"]]
    assert run.discarded == [(["1", "2"], "RetryAttemptsExhausted", 3)]


def test_a_reported_item_failure_retries_from_that_record_only() -> None:
    esm = mapping(max_retry_attempts=5, batch_size=3, bisect_on_error=True)
    records = [FakeStreamRecord(n) for n in (1, 2, 3)]

    run = poller_run(esm, records, [("partial", 1), DONE])

    assert run.sent == [["1", "2", "3"], ["2", "3"]]
    assert run.discarded == []


def test_records_past_their_age_are_discarded_before_the_invoke() -> None:
    esm = mapping(max_record_age=60, batch_size=3)
    records = [FakeStreamRecord(1, created=0.0), FakeStreamRecord(2, created=1000.0)]

    run = poller_run(esm, records, [DONE], now=1000.0)

    assert run.discarded == [(["1"], "RecordAgeExceeded", 0)]
    assert run.sent == [["2"]]


def test_an_unserialisable_batch_counts_as_a_failed_invocation_never_a_hot_loop() -> None:
    esm = mapping(max_retry_attempts=0, batch_size=2, bisect_on_error=True)
    bad = FakeStreamRecord(2)
    bad.record["dynamodb"]["NewImage"] = {"x": object()}
    records = [FakeStreamRecord(1), bad]

    run = poller_run(esm, records, [ERROR, DONE, ERROR])

    assert run.discarded == [(["2"], "RetryAttemptsExhausted", 1)]
    assert run.cursor.position == 2 and run.cursor.batches == []


def test_a_batching_window_gathers_records_and_filters_each_only_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    esm = mapping(max_batch_window=1, batch_size=10)
    records: list[Any] = []
    clock = [100.0]
    poller = stream_mappings.StreamPoller(clock=lambda: clock[0])
    cursor = stream_mappings.Cursor(SimpleNamespace(items=records, id="shard-1"), 0)
    filtered: list[str] = []
    sent: list[list[str]] = []
    original_matches = stream_records.record_matches

    def counting(esm: Any, record: dict[str, Any]) -> bool:
        filtered.append(record["dynamodb"]["SequenceNumber"])
        return original_matches(esm, record)

    def invoke(esm: Any, function: Any, event: str | None) -> tuple[str, int]:
        sent.append([r["dynamodb"]["SequenceNumber"] for r in json.loads(event or "{}")["Records"]])
        return ("done", 0)

    monkeypatch.setattr(stream_records, "record_matches", counting)
    monkeypatch.setattr(stream_mappings, "invoke", invoke)
    monkeypatch.setattr(stream_mappings, "function_of", lambda esm: None)
    for n in range(1, 4):  # three records arrive within the window, each waking the poller
        records.append(FakeStreamRecord(n, created=100.0))
        clock[0] += 0.1
        poller.deliver(esm, cursor)
    assert sent == []
    clock[0] = 101.0
    poller.deliver(esm, cursor)

    assert sent == [["1", "2", "3"]]
    assert filtered == ["1", "2", "3"]
    assert cursor.position == 3
