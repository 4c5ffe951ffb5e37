"""Small helpers over botocore errors and the item writes every handler shares.

Kept free of client creation (clients.py owns that): functions take the client they use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from disa_common import model

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


def start_run(
    sfn: Any,
    state_machine_arn: str,
    item_key: str,
    run: int,
    attempt: int,
    retry_at: int,
    retry_shard: str,
) -> bool:
    """Start the execution for one run of one item; False if it already exists.

    The name is deterministic, so a redelivered record or a repeated re-drive meets
    ExecutionAlreadyExists (or, while the first is still running with the same input,
    Step Functions' own idempotent answer) and never sends the message twice.
    """
    payload = {
        "id": item_key,
        "run": run,
        "attempt": attempt,
        "retryAt": retry_at,
        "retryShard": retry_shard,
    }
    try:
        sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=model.execution_name(item_key, run),
            input=json.dumps(payload, separators=(",", ":")),
        )
    except ClientError as err:
        if has_code(err, EXECUTION_EXISTS):
            return False
        raise
    return True
