"""Starting a run of a request: what disa_init_process (run 1) and disa_retry (run n + 1)
share.

Both start the same execution the same way: a name fixed by (item, request, run), so a
repeat meets ExecutionAlreadyExists instead of sending twice (a Standard workflow; an
Express one starts the repeat too, and the claim, owned by the execution instance, lets
only one of them publish), and the input the state machine needs to own the item and to
schedule the next retry.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from disa_common import backoff, model
from disa_common.aws import EXECUTION_EXISTS, has_code
from disa_common.kit import Deps


def start_item_run(deps: Deps, item_key: str, request: str, run: int, attempt: int) -> bool:
    """Start the execution for run ``run`` of request ``request``; False if it exists.

    The name is deterministic, so a redelivered record or a repeated re-drive meets
    ExecutionAlreadyExists (or, while the first is still running with the same input,
    Step Functions' own idempotent answer) and never sends the message twice. The input
    carries the request (the claim's ownership), and when and in which index shard the
    item is due again should this run fail.
    """
    settings = deps.settings
    payload = {
        "id": item_key,
        "request": request,
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
            name=model.execution_name(item_key, request, run),
            input=json.dumps(payload, separators=(",", ":")),
        )
    except ClientError as err:
        if has_code(err, EXECUTION_EXISTS):
            return False
        raise
    return True
