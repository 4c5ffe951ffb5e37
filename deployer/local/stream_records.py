"""DynamoDB stream records as Lambda hands them to a function, and what the poller decides.

Pure rules of the stream poller (``patches/stream_mappings.py``), kept apart so they are
tested without an emulator. The rules it keeps, each as AWS documents it for DynamoDB event
source mappings:

- a record is serialised as Lambda does: every attribute type in DynamoDB JSON, binary values
  (``B``, ``BS``, nested in ``M`` and ``L`` too) base64-encoded, numbers as strings, the
  creation time in epoch seconds; whatever cannot be serialised is an error of the batch, never
  of the poller;
- a batch is at most ``BatchSize`` records that pass ``FilterCriteria`` (filtered-out records
  are consumed); it is sent once it is full or its oldest record has waited
  ``MaximumBatchingWindowInSeconds``;
- after a function error, ``BisectBatchOnFunctionError`` splits the batch in two, and splits
  do not count against ``MaximumRetryAttempts``; a reported item failure
  (``ReportBatchItemFailures``) retries from the lowest failed sequence number; records older
  than ``MaximumRecordAgeInSeconds`` or past ``MaximumRetryAttempts`` go to the on-failure
  destination, described (never their content) by ``DDBStreamBatchInfo``; -1 means no limit.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventPattern


def plain(value: Any) -> Any:
    """A JSON-ready copy: bytes become base64 text, datetimes epoch seconds."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        return _epoch(value)
    return value


def lambda_record(record: dict[str, Any], esm: Any) -> dict[str, Any]:
    """A stream record as Lambda delivers it (raises if it cannot be serialised)."""
    shaped = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": record["eventSource"],
        "awsRegion": esm.region,
        "dynamodb": plain(record["dynamodb"]),
        "eventSourceARN": esm.event_source_arn,
    }
    json.dumps(shaped)  # fail here, on this batch, rather than inside the invoke
    return shaped


def created_at(record: dict[str, Any]) -> float:
    """Epoch seconds when the record was written (0 when moto did not say)."""
    created = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        return _epoch(created)
    return float(created) if isinstance(created, int | float) else 0.0


def _epoch(moment: datetime) -> float:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.timestamp()


def record_matches(esm: Any, record: dict[str, Any]) -> bool:
    """Lambda event filtering: no filters, or any one filter's pattern matches."""
    filters = (esm.filter_criteria or {}).get("Filters") or []
    if not filters:
        return True
    patterns = [EventPattern.load(f.get("Pattern")) for f in filters]
    return any(pattern.matches_event(record) for pattern in patterns)  # type: ignore[arg-type]


def first_failed(records: list[dict[str, Any]], payload: Any) -> int | None:
    """Index of the lowest-sequence failed record the function reported, per Lambda's rules."""
    try:
        answer = json.loads(payload)
    except (TypeError, ValueError):
        return None
    failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
    if not failures:
        return None
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in sequence:
            return 0  # an empty or unknown identifier fails the whole batch
        indexes.append(sequence.index(identifier))
    return min(indexes)


def limit(value: Any) -> int | None:
    """A mapping's retry or age limit; None for "no limit" (absent or -1)."""
    if value is None or int(value) < 0:
        return None
    return int(value)


def retries_exhausted(esm: Any, attempts: int) -> bool:
    """``attempts`` failed invocations: the first one plus the retries."""
    allowed = limit(esm.max_retry_attempts)
    return allowed is not None and attempts > allowed


def too_old(esm: Any, created: float, now: float) -> bool:
    allowed = limit(esm.max_record_age)
    return allowed is not None and now - created > allowed


def bisects(esm: Any) -> bool:
    return str(esm.bisect_on_error).lower() == "true"


def batch_ready(esm: Any, size: int, oldest: float, now: float) -> bool:
    """Full, or its oldest record waited the batching window (default 0: send at once)."""
    window = float(esm.max_batch_window or 0)
    return size >= int(esm.batch_size or 100) or now - oldest >= window


def halves(records: list[Any]) -> list[list[Any]]:
    middle = (len(records) + 1) // 2
    return [records[:middle], records[middle:]]


def failure_record(
    esm: Any, shard_id: str, batch: list[dict[str, Any]], condition: str, invokes: int, now: float
) -> dict[str, Any]:
    """What the on-failure destination receives for discarded records (AWS's shape)."""
    first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
    return {
        "requestContext": {
            "functionArn": esm.function_arn,
            "condition": condition,
            "approximateInvokeCount": invokes,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "version": "1.0",
        "timestamp": _iso(now),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(created_at(batch[0])),
            "approximateArrivalOfLastRecord": _iso(created_at(batch[-1])),
            "batchSize": len(batch),
            "streamArn": esm.event_source_arn,
        },
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
