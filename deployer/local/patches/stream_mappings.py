"""Patch 2 — DynamoDB stream event source mappings behave like Lambda's poller.

What moto lacks: ``StreamShard.add`` invokes every mapped function synchronously inside the
PutItem request with the shard's whole history, ignores ``FilterCriteria``, ``Enabled`` and
``BatchSize``, reads nothing of the function's answer, and then empties the shard (so
sequence numbers restart and GetRecords readers lose records).

What the patch does: ``add`` only appends the record (the shard keeps every record, so
sequence numbers only grow) and wakes a background poller. The poller keeps, per mapping, a
cursor into the shard (LATEST mappings start at the end when first seen) and delivers batches
of at most ``BatchSize`` records that pass the mapping's filters, only while it is enabled.
A function error retries the same batch with backoff; with ``ReportBatchItemFailures`` the
cursor moves to the lowest reported ``itemIdentifier`` (AWS's checkpoint rule) and an empty
or unknown identifier fails the whole batch. When ``MaximumRetryAttempts`` is used up the
batch's description goes to the ``DestinationConfig.OnFailure`` SQS queue, as on AWS.
Delivery runs off the request thread, so the function can call back into the emulator
without the PutItem waiting on it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.core.utils import unix_time
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamRecord, StreamShard
from moto.events.models import EventPattern
from moto.sqs.models import sqs_backends

from deployer.local.patches import replace_attribute

LOG = logging.getLogger("disa.local.streams")
POLL_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Cursor:
    shard: Any
    position: int  # index into shard.items of the next record to deliver
    attempts: int = 0  # failed deliveries of the batch at ``position``
    not_before: float = 0.0


class StreamPoller:
    """One background thread delivering every mapping's records in order."""

    def __init__(self) -> None:
        self.cursors: dict[str, Cursor] = {}
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="stream-poller", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            self.wake.wait(POLL_SECONDS)
            self.wake.clear()
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - the poller must outlive one bad mapping
                LOG.exception("stream poller tick failed")

    def register(self, shard: Any) -> None:
        """Give new mappings of this shard a cursor before a record is appended."""
        for esm, table in stream_mappings():
            if table.stream_shard is shard:
                self._cursor_for(esm, shard)

    def _cursor_for(self, esm: Any, shard: Any) -> Cursor:
        # The lock guards only cursor creation: request threads (register) and the poller
        # both create cursors; positions move on the poller thread alone. It is never held
        # while a function runs, because that function writes back to the table.
        with self.lock:
            cursor = self.cursors.get(esm.uuid)
            if cursor is None or cursor.shard is not shard:
                start = len(shard.items) if esm.starting_position == "LATEST" else 0
                cursor = self.cursors[esm.uuid] = Cursor(shard, start)
            return cursor

    def poll_once(self) -> None:
        for esm, table in stream_mappings():
            shard = table.stream_shard
            if shard is None or not is_enabled(esm):
                continue
            try:
                self._deliver(esm, self._cursor_for(esm, shard))
            except Exception:  # noqa: BLE001 - one broken mapping must not stop the others
                LOG.exception("delivery for mapping %s failed; retrying next tick", esm.uuid)

    def _deliver(self, esm: Any, cursor: Cursor) -> None:
        if time.monotonic() < cursor.not_before:
            return
        batch, end = select_batch(cursor.shard.items, cursor.position, esm)
        if not batch:
            cursor.position = end
            return
        failed_at = invoke_batch(esm, batch)
        if failed_at is None:
            cursor.position, cursor.attempts = end, 0
            return
        cursor.position = cursor.shard.items.index(batch[failed_at])
        cursor.attempts += 1
        if retries_exhausted(esm, cursor.attempts):
            send_to_on_failure(esm, cursor.shard.id, batch[failed_at:])
            cursor.position, cursor.attempts = end, 0
            return
        backoff = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (cursor.attempts - 1))
        cursor.not_before = time.monotonic() + backoff


POLLER = StreamPoller()


def install() -> None:
    replace_attribute(StreamShard, "add", _add)
    POLLER.start()


def _add(self: Any, old: Any, new: Any) -> None:
    view_type = self.table.stream_specification["StreamViewType"]
    event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    POLLER.register(self)
    seq = len(self.items) + self.starting_sequence_number
    self.items.append(StreamRecord(self.table, view_type, event_name, old, new, seq))
    POLLER.wake.set()


def stream_mappings() -> list[tuple[Any, Any]]:
    """Every (mapping, table) pair whose source is the table's current stream."""
    pairs = []
    for account_id, regions in list(lambda_backends.items()):
        for region, backend in list(regions.items()):
            for esm in list(backend._event_source_mappings.values()):
                table = _table_of(account_id, region, esm.event_source_arn)
                if table is not None:
                    pairs.append((esm, table))
    return pairs


def _table_of(account_id: str, region: str, stream_arn: str) -> Any:
    if ":dynamodb:" not in stream_arn or "/stream/" not in stream_arn:
        return None
    table_name = stream_arn.split(":table/", 1)[1].split("/stream/", 1)[0]
    table = dynamodb_backends[account_id][region].tables.get(table_name)
    if table is None or not table.latest_stream_label:
        return None
    current = f"{table.table_arn}/stream/{table.latest_stream_label}"
    return table if current == stream_arn else None


def is_enabled(esm: Any) -> bool:
    return str(esm.enabled).lower() != "false"


def record_matches(esm: Any, record: dict[str, Any]) -> bool:
    """Lambda event filtering: no filters, or any one filter's pattern matches."""
    filters = (esm.filter_criteria or {}).get("Filters") or []
    if not filters:
        return True
    patterns = [EventPattern.load(f.get("Pattern")) for f in filters]
    return any(pattern.matches_event(record) for pattern in patterns)  # type: ignore[arg-type]


def select_batch(items: list[Any], start: int, esm: Any) -> tuple[list[Any], int]:
    """Up to BatchSize records from ``start`` that pass the filters, and where the scan ended.

    Filtered-out records are consumed (the cursor moves past them), as Lambda does.
    """
    batch: list[Any] = []
    position = start
    limit = int(esm.batch_size or 100)
    while position < len(items) and len(batch) < limit:
        if record_matches(esm, lambda_record(items[position].to_json(), esm)):
            batch.append(items[position])
        position += 1
    return batch, position


def lambda_record(record: dict[str, Any], esm: Any) -> dict[str, Any]:
    """A stream record as Lambda hands it to a function (creation time in epoch seconds)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = unix_time(created)
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": record["eventSource"],
        "awsRegion": esm.region,
        "dynamodb": dynamodb,
        "eventSourceARN": esm.event_source_arn,
    }


def invoke_batch(esm: Any, batch: list[Any]) -> int | None:
    """Deliver one batch; None when done, else the index in ``batch`` to retry from."""
    records = [lambda_record(item.to_json(), esm) for item in batch]
    backend = lambda_backends[esm.account_id][esm.region]
    function = backend.get_function(esm.function_arn)
    headers: dict[str, str] = {}
    payload = function.invoke(json.dumps({"Records": records}), {}, headers)
    if "x-amz-function-error" in headers:
        LOG.warning("%s failed on a batch of %d records", function.function_name, len(batch))
        return 0
    if "ReportBatchItemFailures" not in (esm.function_response_types or []):
        return None
    return first_failed(records, payload)


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


def retries_exhausted(esm: Any, attempts: int) -> bool:
    limit = esm.max_retry_attempts
    if limit is None or int(limit) < 0:
        return False  # AWS default: retry until the record expires
    return attempts > int(limit)


def send_to_on_failure(esm: Any, shard_id: str, batch: list[Any]) -> None:
    destination = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
    first, last = batch[0].to_json()["dynamodb"], batch[-1].to_json()["dynamodb"]
    LOG.warning("dropping %d records after retries (destination %s)", len(batch), destination)
    if not destination or ":sqs:" not in destination:
        return
    body = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": esm.function_arn},
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "batchSize": len(batch),
            "streamArn": esm.event_source_arn,
        },
    }
    _, _, _, region, account_id, queue_name = destination.split(":", 5)
    sqs_backends[account_id][region].send_message(queue_name, json.dumps(body))
