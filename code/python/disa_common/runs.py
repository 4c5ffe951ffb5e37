"""Starting an item's run: what disa_init_process (run 1) and disa_retry (run n + 1) share.

Both start the same execution the same way: a deterministic name, so a repeat meets
ExecutionAlreadyExists instead of sending twice, and the input the state machine needs
to schedule the next retry. Clients come in through ``Deps``, so tests pass moto clients,
fakes, or a fixed clock and jitter.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from disa_common import backoff, clients, model
from disa_common.aws import EXECUTION_EXISTS, has_code
from disa_common.settings import Settings


@dataclass(frozen=True)
class Deps:
    """What a handler that starts runs needs; tests pass fakes or a fixed clock and jitter."""

    settings: Settings
    ddb: Any
    sfn: Any
    clock: Callable[[], float] = time.time
    rand: Callable[[], float] = random.random

    @classmethod
    def of_container(cls, settings: Settings) -> Deps:
        """The container's own clients (created on first use, see clients.py)."""
        return cls(settings, clients.get("dynamodb"), clients.get("stepfunctions"))


def start_item_run(deps: Deps, item_key: str, run: int, attempt: int) -> bool:
    """Start the execution for run ``run`` of an item; False if it already exists.

    The name is deterministic, so a redelivered record or a repeated re-drive meets
    ExecutionAlreadyExists (or, while the first is still running with the same input,
    Step Functions' own idempotent answer) and never sends the message twice. The input
    carries when and in which index shard the item is due again should this run fail.
    """
    settings = deps.settings
    payload = {
        "id": item_key,
        "run": run,
        "attempt": attempt,
        "retryAt": backoff.retry_at(
            deps.clock(),
            attempt,
            settings.retry_base_seconds,
            settings.retry_max_seconds,
            deps.rand,
        ),
        "retryShard": model.retry_shard(item_key, settings.retry_shards),
    }
    try:
        deps.sfn.start_execution(
            stateMachineArn=settings.state_machine_arn,
            name=model.execution_name(item_key, run),
            input=json.dumps(payload, separators=(",", ":")),
        )
    except ClientError as err:
        if has_code(err, EXECUTION_EXISTS):
            return False
        raise
    return True
