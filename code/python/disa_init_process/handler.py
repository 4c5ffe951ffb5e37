"""disa_init_process: one state machine execution per inserted item, however often delivered.

Triggered by the table's stream (the event source mapping passes INSERT records only,
NEW_IMAGE view). For each record: an item whose ``message`` is not a non-empty string
within SNS's size limit becomes ``Invalid`` with a reason (never published, never
retried); any other item gets an execution named from its key and run 1, so a redelivered
record meets ExecutionAlreadyExists instead of sending twice. Only records that really
failed are returned in ``batchItemFailures``; the stream retries them (and, in the end,
sends them to the stream's on-failure queue).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from typing import Any

from disa_common import log, model
from disa_common.aws import CONDITION_FAILED, error_code, has_code, iso_now
from disa_common.runs import Deps, start_item_run
from disa_common.settings import Settings


def lambda_handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    settings = Settings.from_env()
    log.configure("disa_init_process", settings.log_level, getattr(context, "aws_request_id", None))
    settings.require("table_name", "state_machine_arn")
    return start_batch(event, settings)


class Outcome(Enum):
    STARTED = "started"
    DUPLICATE = "duplicate"  # already started or already marked: a redelivery
    INVALID = "invalid"
    SKIPPED = "skipped"  # not ours to handle (not an INSERT, status already set)
    FAILED = "failed"


def start_batch(event: Any, settings: Settings, deps: Deps | None = None) -> dict[str, Any]:
    """Handle one stream batch; returns the partial-batch response."""
    records = _records(event)
    if not records:
        log.info("empty batch")
        return {"batchItemFailures": []}
    deps = deps or Deps.of_container(settings)
    workers = min(len(records), settings.start_concurrency)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="start") as pool:
        outcomes = list(pool.map(lambda record: handle_record(record, deps), records))
    failures = [
        {"itemIdentifier": _sequence_number(record)}
        for record, outcome in zip(records, outcomes, strict=True)
        if outcome is Outcome.FAILED and _sequence_number(record)
    ]
    counts = {o.value: outcomes.count(o) for o in Outcome if o in outcomes}
    log.info("batch done", records=len(records), **counts)
    return {"batchItemFailures": failures}


def handle_record(record: Any, deps: Deps) -> Outcome:
    """Validate one stream record and start (or refuse) its item's first run."""
    parsed = _parse(record)
    if isinstance(parsed, Outcome):
        return parsed
    key, image = parsed
    try:
        reason = invalid_reason(key, image)
        if reason:
            return _mark_invalid(key, reason, deps)
        return _start_first_run(key, deps)
    except Exception as err:  # one bad record must not fail its neighbours
        log.error("record failed", id=key, error=error_code(err))
        return Outcome.FAILED


def invalid_reason(key: str, image: dict[str, Any]) -> str | None:
    """Why an item's message cannot be published, or None if it can."""
    attribute = image.get(model.MESSAGE)
    if attribute is None:
        return "MissingMessage"
    if not isinstance(attribute, dict) or not isinstance(attribute.get("S"), str):
        return "NotAString"
    text = attribute["S"]
    if not text:
        return "EmptyMessage"
    if len(text.encode("utf-8")) > model.MAX_MESSAGE_BYTES:
        return "TooLarge"
    if model.publish_size(text, key) > model.SNS_MAX_PUBLISH_BYTES:
        return "TooLarge"  # only with a key near DynamoDB's 2 KB limit
    return None


def _parse(record: Any) -> tuple[str, dict[str, Any]] | Outcome:
    if not isinstance(record, dict) or not isinstance(record.get("dynamodb"), dict):
        log.error("malformed record", sequenceNumber=_sequence_number(record))
        return Outcome.FAILED
    if record.get("eventName") != "INSERT":
        return Outcome.SKIPPED
    image = record["dynamodb"].get("NewImage")
    key = _string(image, model.KEY) if isinstance(image, dict) else None
    if key is None:
        # No new image or no key: a stream view other than NEW_IMAGE, or not a DISA
        # table. Marking items Invalid here would be wrong, so let the stream retry it
        # into the on-failure queue where someone looks.
        log.error("record without new image or key", sequenceNumber=_sequence_number(record))
        return Outcome.FAILED
    if model.STATUS in image:
        log.info("item already has a status", id=key, status=_string(image, model.STATUS))
        return Outcome.SKIPPED
    return key, image


def _mark_invalid(key: str, reason: str, deps: Deps) -> Outcome:
    try:
        deps.ddb.update_item(
            TableName=deps.settings.table_name,
            Key={model.KEY: {"S": key}},
            UpdateExpression="SET #status = :invalid, #reason = :reason, #updated = :now",
            # attribute_exists(id): an item deleted meanwhile is not re-created as a stub.
            ConditionExpression="attribute_exists(#id) AND attribute_not_exists(#status)",
            ExpressionAttributeNames={
                "#id": model.KEY,
                "#status": model.STATUS,
                "#reason": model.REASON,
                "#updated": model.UPDATED_AT,
            },
            ExpressionAttributeValues={
                ":invalid": {"S": model.Status.INVALID.value},
                ":reason": {"S": reason},
                ":now": {"S": iso_now()},
            },
        )
    except Exception as err:
        if has_code(err, CONDITION_FAILED):
            log.info("invalid item already handled", id=key, reason=reason)
            return Outcome.DUPLICATE
        raise
    settings = deps.settings
    log.warning("item invalid", id=key, reason=reason)
    log.metric("InvalidItems", settings.metric_namespace, settings.environment, id=key)
    return Outcome.INVALID


def _start_first_run(key: str, deps: Deps) -> Outcome:
    started = start_item_run(deps, key, run=1, attempt=1)
    name = model.execution_name(key, 1)
    if not started:
        log.info("execution already exists", id=key, execution=name)
        return Outcome.DUPLICATE
    log.info("execution started", id=key, execution=name)
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
