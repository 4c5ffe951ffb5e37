"""Small helpers over botocore errors and timestamps that every handler shares.

Kept free of client creation (clients.py owns that) and of AWS calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

CONDITION_FAILED = "ConditionalCheckFailedException"
EXECUTION_EXISTS = "ExecutionAlreadyExists"

# Errors a caller can expect from any AWS call: a service answer or a transport failure.
AWS_ERRORS = (ClientError, BotoCoreError)


def error_code(err: BaseException) -> str:
    """The AWS error code of a ClientError, else the exception's class name."""
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code") or "ClientError")
    return type(err).__name__


def has_code(err: BaseException, code: str) -> bool:
    return isinstance(err, ClientError) and error_code(err) == code


def iso_now(clock: Callable[[], float] = time.time) -> str:
    """``updated_at`` for now: the shape of Step Functions' ``$$.State.EnteredTime``.

    The state machine's record states write that value, the handlers this one, so the
    attribute reads and sorts the same whoever wrote it: ``YYYY-MM-DDTHH:MM:SS.mmmZ``,
    milliseconds truncated.
    """
    moment = datetime.fromtimestamp(clock(), UTC)
    return moment.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"
