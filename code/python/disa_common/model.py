"""The item model and status lifecycle every DISA component agrees on.

The handlers, the state machine (state-machine/state-machine.json) and the templates all
name these attributes, statuses and variables; this module is the single source of them
for the Python side, and tests check the ASL and templates against it.

Lifecycle of an item (``status`` attribute):

    (absent) ──init_process──► execution run 1
    (absent) ──invalid input──► Invalid                         terminal, never published
    (absent | Retrying) ──disa_process claim──► Processing     (leaves the retry index)
    Processing ──published──► Successful                       terminal
    Processing ──any failure──► Failure   (in the retry index)
    (absent | Retrying) ──circuit open──► Failure (deferred: no attempt consumed)
    (Failure | Retrying) ──due: disa_retry claim──► Retrying, run + 1 ──► new execution run
    (Failure | Retrying) ──due, attempts >= max──► Exhausted   terminal, counted by a metric

The retry index holds items in Failure (due at their backoff) and items in Retrying,
leased: a disa_retry claim keeps the item in the index, due again RETRY_LEASE_SECONDS
later. Its run's disa_process claim takes it out within seconds; if that run never
claims (the start failed, or a function died), the lease runs out and the item is
re-driven as the next run, while the abandoned run's late claim fails on ``run``.
``attempts`` counts publish attempts consumed (written by a run's claim or its
RecordFailure, never by a deferral or a disa_retry claim), so deferrals and abandoned
leases never bring an item nearer to Exhausted.

Every transition is a conditional write keyed on ``status`` and ``run``, so a late or
duplicate writer can never overwrite a newer state. No write creates an item: each
condition needs a status, or ``attribute_exists(id)`` where an absent status is allowed,
so a deleted item is never re-created as a stub.
"""

from __future__ import annotations

import enum
import hashlib
import re

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
EXECUTION = "execution"  # name of the execution that last claimed the item (S)
UPDATED_AT = "updated_at"  # UTC time of the last transition, YYYY-MM-DDTHH:MM:SS.mmmZ (S)

RETRY_INDEX = "retry-index"  # sparse GSI: (retry_shard, next_attempt_at), INCLUDE run, attempts
MESSAGE_ATTRIBUTE_KEY = "disa_id"  # SNS message attribute carrying the item key

# SNS allows 262,144 bytes for the message plus its attributes; keep room for ours.
MAX_MESSAGE_BYTES = 256 * 1024 - 1024


class Status(enum.StrEnum):
    PROCESSING = "Processing"
    SUCCESSFUL = "Successful"
    FAILURE = "Failure"
    RETRYING = "Retrying"
    INVALID = "Invalid"
    EXHAUSTED = "Exhausted"


# Execution names: 1-80 characters of [0-9A-Za-z_-] (Step Functions' rule, safe for
# CloudWatch Logs too).
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")


def execution_name(item_key: str, run: int) -> str:
    """Deterministic execution name for one run of one item.

    The same (key, run) always gives the same name, so a redelivered stream record or a
    repeated retry meets ExecutionAlreadyExists instead of sending twice. A short hash of
    the raw key keeps names unique after sanitising and truncation.
    """
    digest = hashlib.sha256(item_key.encode("utf-8")).hexdigest()[:12]
    readable = _UNSAFE.sub("_", item_key)[:50]
    return f"{readable}-{digest}-r{run}"


def retry_shard(item_key: str, shards: int) -> str:
    """Retry-index partition for an item: spreads failures so no GSI partition runs hot."""
    digest = hashlib.sha256(item_key.encode("utf-8")).digest()
    return str(int.from_bytes(digest[:4], "big") % shards)


# SNS's limit for one published message: body plus message attributes (names, types, values).
SNS_MAX_PUBLISH_BYTES = 256 * 1024


def publish_size(message: str, item_key: str) -> int:
    """Bytes SNS counts for a DISA publish: the body plus the ``disa_id`` attribute."""
    attribute = len(MESSAGE_ATTRIBUTE_KEY) + len("String") + len(item_key.encode("utf-8"))
    return len(message.encode("utf-8")) + attribute
