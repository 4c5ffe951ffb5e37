"""Patch: DynamoDB stream event source mappings behave like Lambda's poller.

What moto lacks: ``StreamShard.add`` invokes every mapped function synchronously inside the
PutItem request with the shard's whole history, ignores ``FilterCriteria``, ``Enabled`` and
``BatchSize``, reads nothing of the function's answer, and then empties the shard (so
sequence numbers restart and GetRecords readers lose records).

What the patch does: ``add`` only appends the record (the shard keeps every record, so
sequence numbers only grow) and wakes a background poller. The poller keeps, per mapping, a
cursor into the shard (LATEST mappings start at the end when first seen) and the batches it
took but has not finished; it serialises records, batches, retries, bisects and discards them
by the mapping's own settings, with the rules of :mod:`deployer.local.stream_records`.
Discarded records are described on the ``DestinationConfig.OnFailure`` queue or topic. A
batch that fails before the invoke (a record it cannot serialise) counts as a failed
invocation, so it too is bisected, retried with backoff and in the end discarded: a shard
never stalls in a loop. Delivery runs off the request thread, and moto's state is read under
the emulator's lock (:mod:`deployer.local.serial`), never held while a function runs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamRecord, StreamShard
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from deployer.local import stream_records as rules
from deployer.local.patches import Installer, Patch
from deployer.local.serial import MOTO_LOCK

LOG = logging.getLogger("disa.local.streams")
POLL_SECONDS = 0.25  # Lambda polls a DynamoDB stream shard 4 times a second
BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 10.0
DONE, ERROR, PARTIAL = "done", "error", "partial"


@dataclass
class Batch:
    records: list[Any]  # moto StreamRecords taken from the shard, in order
    attempts: int = 0  # failed invocations (splits do not count)


@dataclass
class Cursor:
    shard: Any
    position: int  # index into shard.items of the next record not yet taken
    batches: list[Batch] = field(default_factory=list)  # taken, not finished, in order
    not_before: float = 0.0
    # Records after ``position`` already filtered (``matched`` passed) while a batching
    # window was open: each record is shaped and filtered once, not on every wake-up.
    scanned: int = -1
    matched: list[Any] = field(default_factory=list)


class StreamPoller:
    """One background thread delivering every mapping's records in order."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.cursors: dict[str, Cursor] = {}
        self.wake = threading.Event()
        self.clock = clock

    def start(self) -> None:
        threading.Thread(target=self._loop, name="stream-poller", daemon=True).start()

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
        cursor = self.cursors.get(esm.uuid)
        if cursor is None or cursor.shard is not shard:
            start = len(shard.items) if esm.starting_position == "LATEST" else 0
            cursor = self.cursors[esm.uuid] = Cursor(shard, start)
        return cursor

    def poll_once(self) -> None:
        with MOTO_LOCK:
            work = [(esm, self._cursor_for(esm, table.stream_shard))
                    for esm, table in stream_mappings()
                    if table.stream_shard is not None and is_enabled(esm)]  # fmt: skip
        for esm, cursor in work:
            try:
                while self.deliver(esm, cursor):
                    pass
            except Exception:  # noqa: BLE001 - one broken mapping must not stop the others
                LOG.exception("delivery for mapping %s failed; retrying next tick", esm.uuid)

    def deliver(self, esm: Any, cursor: Cursor) -> bool:
        """Send one batch of this mapping, if one is due; True if there may be more now."""
        now = self.clock()
        with MOTO_LOCK:
            if now < cursor.not_before or not self._take(esm, cursor, now):
                return False
            batch = cursor.batches[0]
            self._discard_expired(esm, cursor, batch, now)
            if not batch.records:
                cursor.batches.pop(0)
                return True
            function, event = function_of(esm), batch_event(esm, batch.records)
        outcome = invoke(esm, function, event)
        with MOTO_LOCK:
            return self._settle(esm, cursor, batch, outcome)

    def _take(self, esm: Any, cursor: Cursor, now: float) -> bool:
        if cursor.batches:
            return True
        items, size = cursor.shard.items, int(esm.batch_size or 100)
        start = max(cursor.scanned, cursor.position)
        more, end = select_batch(items, start, esm, size - len(cursor.matched))
        chosen, cursor.scanned = cursor.matched + more, end
        if not chosen:
            cursor.position, cursor.matched = end, []
            return False
        oldest = rules.created_at(chosen[0].to_json())
        if end >= len(items) and not rules.batch_ready(esm, len(chosen), oldest, now):
            cursor.matched = chosen  # wait for the batching window
            return False
        cursor.position, cursor.matched = end, []
        cursor.batches.append(Batch(chosen))
        return True

    def _discard_expired(self, esm: Any, cursor: Cursor, batch: Batch, now: float) -> None:
        expired = [
            r for r in batch.records if rules.too_old(esm, rules.created_at(r.to_json()), now)
        ]
        if expired:
            discard(esm, cursor.shard.id, expired, "RecordAgeExceeded", batch.attempts, now)
            batch.records = [r for r in batch.records if r not in expired]

    def _settle(self, esm: Any, cursor: Cursor, batch: Batch, outcome: tuple[str, int]) -> bool:
        """Move the cursor on after an invocation; True if the next batch may go at once."""
        result, failed_at = outcome
        if result == DONE:
            cursor.batches.pop(0)
            cursor.not_before = 0.0
            return True
        remaining = batch.records[failed_at:]
        if result == ERROR and rules.bisects(esm) and len(remaining) > 1:
            cursor.batches[0:1] = [Batch(half, batch.attempts) for half in rules.halves(remaining)]
            return True  # a split retries at once and costs no retry attempt
        batch.records, batch.attempts = remaining, batch.attempts + 1
        if rules.retries_exhausted(esm, batch.attempts):
            now = self.clock()
            discard(esm, cursor.shard.id, remaining, "RetryAttemptsExhausted", batch.attempts, now)
            cursor.batches.pop(0)
            return True
        backoff = min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2 ** (batch.attempts - 1))
        cursor.not_before = self.clock() + backoff
        return False


POLLER = StreamPoller()


def install(installer: Installer) -> None:
    installer.replace(StreamShard, "add", _add)
    if installer.settings.start_threads:
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


def select_batch(
    items: list[Any], start: int, esm: Any, limit: int | None = None
) -> tuple[list[Any], int]:
    """Up to ``limit`` (BatchSize) records from ``start`` that pass the filters, and where
    the scan ended.

    Filtered-out records are consumed (the cursor moves past them), as Lambda does. A record
    that cannot even be shaped for the filter is taken into the batch, which then fails.
    """
    batch: list[Any] = []
    position = start
    size = int(esm.batch_size or 100) if limit is None else limit
    while position < len(items) and len(batch) < size:
        try:
            take = rules.record_matches(esm, rules.lambda_record(items[position].to_json(), esm))
        except Exception:  # noqa: BLE001 - handled as a failing batch, see deliver
            take = True
        if take:
            batch.append(items[position])
        position += 1
    return batch, position


def batch_event(esm: Any, records: list[Any]) -> str | None:
    """The event Lambda would send; None if a record cannot be serialised (the batch fails)."""
    try:
        return json.dumps({"Records": [rules.lambda_record(r.to_json(), esm) for r in records]})
    except Exception:  # noqa: BLE001 - an unserialisable record fails its batch only
        LOG.exception("mapping %s: a batch could not be serialised", esm.uuid)
        return None


def function_of(esm: Any) -> Any:
    return lambda_backends[esm.account_id][esm.region].get_function(esm.function_arn)


def invoke(esm: Any, function: Any, event: str | None) -> tuple[str, int]:
    """Deliver one batch: ("done", 0), ("error", 0) for a failed invocation (or one that never
    started), or ("partial", i) when the function reported item failures from index i."""
    if event is None:
        return ERROR, 0
    headers: dict[str, str] = {}
    payload = function.invoke(event, {}, headers)
    if "x-amz-function-error" in headers:
        LOG.warning("%s returned a function error for a batch", function.function_name)
        return ERROR, 0
    if "ReportBatchItemFailures" not in (esm.function_response_types or []):
        return DONE, 0
    failed_at = rules.first_failed(json.loads(event)["Records"], payload)
    return (DONE, 0) if failed_at is None else (PARTIAL, failed_at)


def discard(
    esm: Any, shard_id: str, batch: list[Any], condition: str, invokes: int, now: float
) -> None:
    destination = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
    LOG.warning("discarding %d records (%s; destination %s)", len(batch), condition, destination)
    if not destination:
        return
    records = [record.to_json() for record in batch]
    body = json.dumps(rules.failure_record(esm, shard_id, records, condition, invokes, now))
    _, _, service, region, account_id, name = destination.split(":", 5)
    if service == "sqs":
        sqs_backends[account_id][region].send_message(name, body)
    elif service == "sns":
        sns_backends[account_id][region].publish(body, arn=destination)


MAPPING_FIELDS = (
    "uuid enabled batch_size filter_criteria function_response_types starting_position"
    " max_retry_attempts max_record_age max_batch_window bisect_on_error destination_config"
    " function_arn region account_id event_source_arn"
)
PATCH = Patch(
    name="stream_mappings",
    requires=(
        ("moto.dynamodb.models.table", "StreamShard.add"),
        ("moto.dynamodb.models.table", "StreamRecord"),
        ("moto.dynamodb.models", "dynamodb_backends"),
        ("moto.awslambda.models", "lambda_backends"),
        ("moto.awslambda.models", "LambdaBackend.get_function"),
        ("moto.awslambda.models", "LambdaFunction.invoke"),
        ("moto.events.models", "EventPattern.load"),
        ("moto.sqs.models", "SQSBackend.send_message"),
        ("moto.sns.models", "SNSBackend.publish"),
    ),
    fields={
        "StreamShard": ("items", "table", "starting_sequence_number", "id"),
        "Table": ("stream_shard", "latest_stream_label", "stream_specification", "table_arn"),
        "LambdaBackend": ("_event_source_mappings",),
        "DynamoDBBackend": ("tables",),
        "EventSourceMapping": tuple(MAPPING_FIELDS.split()),
    },
    install=install,
)
