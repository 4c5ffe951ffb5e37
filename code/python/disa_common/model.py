"""The item model and status lifecycle every DISA component agrees on.

The handlers, the state machine (state-machine/state-machine.json) and the templates all
name these attributes, statuses and variables; this module is the single source of them
for the Python side, and tests check the ASL and templates against it.

A *request* is one write that leaves the item without a ``status``: an insert, or a
PutItem over an existing id (an overwrite). Each request has a token derived from its
stream record, so a redelivered record is the same request and an overwrite a new one.
Lifecycle of an item (``status`` attribute):

    (absent) ──init_process──► execution run 1 of the request
    (absent) ──invalid input──► Invalid                         terminal, never published
    (absent | Retrying) ──disa_process claim──► Processing     (leased in the retry index)
    Processing ──published──► Successful                       terminal
    Processing ──any failure──► Failure   (in the retry index)
    (absent | Retrying) ──circuit open──► Failure (deferred: no attempt consumed)
    (Failure | Retrying | Processing) ──due: disa_retry claim──► Retrying, run + 1 ──► new run
    (Failure | Retrying) ──due, attempts >= max──► Exhausted   terminal, counted by a metric
    any ──overwritten by the user (no status)──► (absent): a new request, a new run 1

The retry index holds items in Failure (due at their backoff) and items in Retrying or
Processing, leased: a claim (disa_retry's, or disa_process's) keeps or puts the item in
the index, due again RETRY_LEASE_SECONDS later, and the run's status write takes it out.
If that run never claims, or dies after its claim without writing (an Express execution
cut off at its five minutes, a status write that failed), the lease runs out and the item
is re-driven as the next run, while the abandoned run's late writes fail on ``run`` or
``owner``. A run re-driven from Processing may have published: at least once, as ever.
``attempts`` counts publish attempts consumed (written by a run's claim or its
RecordFailure, never by a deferral or a disa_retry claim), so deferrals and abandoned
leases never bring an item nearer to Exhausted.

Every transition is a conditional write, so a late or duplicate writer can never
overwrite a newer state. Ownership: a claimed (Processing) item belongs to the execution
instance in ``owner`` (its ARN; ``execution`` holds its name), and only that instance may
re-claim it or record its outcome: an Express workflow may run one name twice; a
Retrying item belongs to (``request``, ``run``). A fresh item (no status) may be claimed
by any execution, which then sends what the item holds at that moment. No write creates
an item: each condition needs a status, or ``attribute_exists(id)`` where an absent
status is allowed, so a deleted item is never re-created as a stub.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping
from typing import Any

# Attribute names.
KEY = "id"  # partition key (S)
MESSAGE = "message"  # the body to publish (S); never logged
STATUS = "status"  # Status value (S)
RUN = "run"  # number of the execution run that owns the item (N)
ATTEMPTS = "attempts"  # publish attempts consumed (N)
REASON = "reason"  # why the last attempt failed or the input is invalid (S)
RETRY_SHARD = "retry_shard"  # retry index partition key (S); only in Failure and Retrying
NEXT_ATTEMPT_AT = "next_attempt_at"  # retry index sort key, epoch seconds (N): due or lease end
SNS_MESSAGE_ID = "sns_message_id"  # SNS MessageId once Successful (S)
EXECUTION = "execution"  # name of the execution that owns (or last owned) the item (S)
OWNER = "owner"  # ARN of that execution instance ($$.Execution.Id): what a claim belongs to (S)
REQUEST = "request"  # token of the request the item's runs belong to (S)
UPDATED_AT = "updated_at"  # UTC time of the last transition, YYYY-MM-DDTHH:MM:SS.mmmZ (S)

RETRY_INDEX = "retry-index"  # sparse GSI: (retry_shard, next_attempt_at), INCLUDE run, attempts
MESSAGE_ATTRIBUTE_KEY = "disa_id"  # SNS message attribute carrying the item key
MESSAGE_ATTRIBUTE_TYPE = "String"  # its DataType

# SNS's limit for one publish: the body plus every message attribute's name, type and
# value, in UTF-8 bytes (the topic's default MaximumMessageSize).
SNS_MAX_PUBLISH_BYTES = 262_144


class Status(enum.StrEnum):
    PROCESSING = "Processing"
    SUCCESSFUL = "Successful"
    FAILURE = "Failure"
    RETRYING = "Retrying"
    INVALID = "Invalid"
    EXHAUSTED = "Exhausted"


class InvalidReason(enum.StrEnum):
    """Why an item's ``message`` can never be published (the ``reason`` of Invalid)."""

    MISSING = "MissingMessage"
    EMPTY = "EmptyMessage"
    NOT_A_STRING = "NotAString"
    TOO_LARGE = "TooLarge"


def publish_size(message: str, item_key: str) -> int:
    """Bytes SNS counts for a DISA publish: the body plus the ``disa_id`` attribute."""
    attribute = MESSAGE_ATTRIBUTE_KEY + MESSAGE_ATTRIBUTE_TYPE + item_key
    return len(message.encode("utf-8")) + len(attribute.encode("utf-8"))


def invalid_reason(item_key: str, image: Mapping[str, Any]) -> InvalidReason | None:
    """Why an item (attribute values, as a stream image or GetItem holds them) cannot be
    published, or None if it can. Any other attribute, of any type, is left alone."""
    attribute = image.get(MESSAGE)
    if attribute is None:
        return InvalidReason.MISSING
    text = attribute.get("S") if isinstance(attribute, Mapping) else None
    if not isinstance(text, str):
        return InvalidReason.NOT_A_STRING  # binary, number, list, map, null, bool...
    if not text:
        return InvalidReason.EMPTY
    if publish_size(text, item_key) > SNS_MAX_PUBLISH_BYTES:
        return InvalidReason.TOO_LARGE
    return None


# Execution names: 1-80 characters of [0-9A-Za-z_-] (Step Functions' rule, safe for
# CloudWatch Logs too).
MAX_EXECUTION_NAME = 80
READABLE_LENGTH = 50
TOKEN_LENGTH = 12
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")


def request_token(item_key: str, event_id: str) -> str:
    """The token of the request a stream record carries: the same for a redelivery of the
    record, a new one for every later write (DynamoDB gives each record its own eventID)."""
    return _digest(f"{item_key}\n{event_id}")


def legacy_token(item_key: str) -> str:
    """The token of requests started before tokens existed: their names were
    ``<key>-<sha256(key)[:12]>-r<run>``, which execution_name() then still yields."""
    return _digest(item_key)


def execution_name(item_key: str, request: str, run: int) -> str:
    """Deterministic execution name for one run of one request of one item.

    The same (request, run) always gives the same name, so a redelivered stream record or
    a repeated retry meets ExecutionAlreadyExists instead of sending twice; another
    request (an overwrite, a re-insert after a delete) never meets an old name. The
    readable part is cut so that the name keeps Step Functions' 80 characters.
    """
    suffix = f"-{request}-r{run}"
    room = min(READABLE_LENGTH, MAX_EXECUTION_NAME - len(suffix))
    readable = _UNSAFE.sub("_", item_key)[: max(1, room)]
    return readable + suffix


def retry_shard(item_key: str, shards: int) -> str:
    """Retry-index partition for an item: spreads failures so no GSI partition runs hot."""
    digest = hashlib.sha256(item_key.encode("utf-8")).digest()
    return str(int.from_bytes(digest[:4], "big") % shards)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:TOKEN_LENGTH]
