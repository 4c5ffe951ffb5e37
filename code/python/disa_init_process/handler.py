"""disa_init_process: one state machine execution per request, however often delivered.

Triggered by the table's stream (NEW_IMAGE view). The event source mapping passes only
*requests*: records whose new image has no ``status``, that is an insert or an overwrite
(a PutItem over an existing id); this function checks again and skips anything else, so
its own and the state machine's status writes never come back as work. Each request gets
a token from its stream record (the same on a redelivery, new for every later write).

For each request: an item whose ``message`` cannot be published becomes ``Invalid`` with
a reason (never published, never retried); any other gets run 1 of its request, an
execution whose name is fixed by (item, request, run), so a redelivered record meets
ExecutionAlreadyExists instead of sending twice. When one batch holds several requests for
the same item, only the newest counts: the item already holds its message, and the older
ones are superseded. Only records that really failed are returned in
``batchItemFailures``; the stream retries them (and, in the end, sends them to the
stream's on-failure queue).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from typing import Any

from disa_common import kit, log, model
from disa_common.aws import error_code
from disa_common.kit import Deps
from disa_common.runs import start_item_run

REQUEST_EVENTS = frozenset({"INSERT", "MODIFY"})


class Outcome(Enum):
    STARTED = "started"
    DUPLICATE = "duplicate"  # already started or already marked: a redelivery
    INVALID = "invalid"
    SUPERSEDED = "superseded"  # a newer request for the same item is in the batch
    SKIPPED = "skipped"  # not a request (a status write, a delete)
    FAILED = "failed"


@dataclass(frozen=True)
class Request:
    key: str
    token: str
    image: dict[str, Any]


def start_batch(event: Any, context: Any, deps: Deps) -> dict[str, Any]:
    """Handle one stream batch; returns the partial-batch response."""
    records = _records(event)
    if not records:
        log.info("empty batch")
        return {"batchItemFailures": []}
    parsed = [parse_record(record) for record in records]
    newest = {p.key: index for index, p in enumerate(parsed) if isinstance(p, Request)}
    work = [
        p if not isinstance(p, Request) or newest[p.key] == index else Outcome.SUPERSEDED
        for index, p in enumerate(parsed)
    ]
    workers = min(len(records), deps.settings.start_concurrency)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="start") as pool:
        outcomes = list(pool.map(lambda item: _handle(item, deps), work))
    failures = [
        {"itemIdentifier": _sequence_number(record)}
        for record, outcome in zip(records, outcomes, strict=True)
        if outcome is Outcome.FAILED and _sequence_number(record)
    ]
    counts = {o.value: outcomes.count(o) for o in Outcome if o in outcomes}
    log.info("batch done", records=len(records), **counts)
    return {"batchItemFailures": failures}


lambda_handler = kit.entry("disa_init_process", ("table_name", "state_machine_arn"), start_batch)


def _handle(work: Request | Outcome, deps: Deps) -> Outcome:
    return work if isinstance(work, Outcome) else handle_request(work, deps)


def handle_request(request: Request, deps: Deps) -> Outcome:
    """Validate one request and start (or refuse) its first run."""
    try:
        reason = model.invalid_reason(request.key, request.image)
        if reason:
            return _mark_invalid(request.key, reason, deps)
        return _start_first_run(request, deps)
    except Exception as err:  # one bad record must not fail its neighbours
        log.error("record failed", id=request.key, error=error_code(err))
        return Outcome.FAILED


def parse_record(record: Any) -> Request | Outcome:
    """The request a stream record carries, or why it carries none."""
    if not isinstance(record, dict) or not isinstance(record.get("dynamodb"), dict):
        log.error("malformed record", sequenceNumber=_sequence_number(record))
        return Outcome.FAILED
    if record.get("eventName") not in REQUEST_EVENTS:
        return Outcome.SKIPPED
    image = record["dynamodb"].get("NewImage")
    key = _string(image, model.KEY) if isinstance(image, dict) else None
    event_id = record.get("eventID") or _sequence_number(record)
    if key is None or not isinstance(event_id, str):
        # No new image, no key or no record id: a stream view other than NEW_IMAGE, or
        # not a DISA table. Marking items Invalid here would be wrong, so let the stream
        # retry it into the on-failure queue where someone looks.
        log.error("record without new image, key or id", sequenceNumber=_sequence_number(record))
        return Outcome.FAILED
    if model.STATUS in image:
        log.debug("item has a status: not a request", id=key)
        return Outcome.SKIPPED
    return Request(key, model.request_token(key, event_id), image)


# The mark re-checks, in the same write, that the item still exists without a status and
# still holds an unsendable message of the kind the record showed: an overwrite that fixed
# it in the meantime (a new request, on its way in a later record) must not be marked
# Invalid with the old request's reason, and a deleted item is not re-created as a stub.
_FRESH = "attribute_exists(#id) AND attribute_not_exists(#status)"
_STRING = "attribute_type(#message, :string)"
INVALID_CONDITIONS = {
    model.InvalidReason.MISSING: f"{_FRESH} AND attribute_not_exists(#message)",
    model.InvalidReason.NOT_A_STRING: f"{_FRESH} AND NOT {_STRING}",
    # Empty or too large: still a string (which also means the item exists). A fix to
    # another string within the same instant is not told apart (see the README).
    model.InvalidReason.EMPTY: f"attribute_not_exists(#status) AND {_STRING}",
    model.InvalidReason.TOO_LARGE: f"attribute_not_exists(#status) AND {_STRING}",
}


def invalid_condition(reason: model.InvalidReason) -> str:
    return INVALID_CONDITIONS[reason]


def _mark_invalid(key: str, reason: model.InvalidReason, deps: Deps) -> Outcome:
    condition = invalid_condition(reason)
    values = {
        ":invalid": kit.s(model.Status.INVALID),
        ":reason": kit.s(reason),
        ":now": kit.s(deps.now_iso()),
    }
    if ":string" in condition:
        values[":string"] = kit.s("S")
    write = kit.update_item(
        deps, key, "SET #status = :invalid, #reason = :reason, #updated = :now", condition, values
    )
    if not write.applied:
        log.info("invalid item already handled or rewritten", id=key, reason=reason.value)
        return Outcome.DUPLICATE
    settings = deps.settings
    log.metric("InvalidItems", settings.metric_namespace, settings.environment,
               event="item invalid", level="WARNING", id=key, reason=reason.value)  # fmt: skip
    return Outcome.INVALID


def _start_first_run(request: Request, deps: Deps) -> Outcome:
    name = model.execution_name(request.key, request.token, 1)
    if not start_item_run(deps, request.key, request.token, run=1, attempt=1):
        log.info("execution already exists", id=request.key, execution=name)
        return Outcome.DUPLICATE
    log.info("execution started", id=request.key, execution=name)
    return Outcome.STARTED


def _records(event: Any) -> list[Any]:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        if event:
            log.error("malformed batch: no Records list")
        return []
    return records


def _sequence_number(record: Any) -> str | None:
    if isinstance(record, dict) and isinstance(record.get("dynamodb"), dict):
        seq = record["dynamodb"].get("SequenceNumber")
        return seq if isinstance(seq, str) and seq else None
    return None


def _string(image: dict[str, Any], name: str) -> str | None:
    attribute = image.get(name)
    if isinstance(attribute, dict) and isinstance(attribute.get("S"), str):
        return str(attribute["S"])
    return None
