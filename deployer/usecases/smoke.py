"""``send`` and ``up --smoke``: write one message, follow it, fail unless it is Successful.

The write-and-follow logic is :func:`deployer.usecases.follow.send_message` (it takes raw
clients and prints nothing); this module gives it the runtime's clients, clock and sleep,
renders the trail, and turns a message that did not end ``Successful`` into
:class:`DeployFailedError` (exit 4), so a pipeline's smoke step fails loudly.
``Edge.smoke`` may replace the runner.
"""

from __future__ import annotations

from typing import Any

from deployer.errors import DeployFailedError
from deployer.runtime import Runtime
from deployer.wiring import SmokeRunner

SMOKE_MESSAGE = "disa-deploy smoke test"
SEND_TIMEOUT_SECONDS = 120.0


def send(rt: Runtime, message: str, timeout: float = SEND_TIMEOUT_SECONDS,
         outputs: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    from deployer.usecases.follow import send_message

    result = send_message(
        rt.table.client,
        rt.stacks.client,
        rt.config.stack_name,
        message,
        clock=rt.clock,
        sleep=rt.sleep,
        timeout=timeout,
        table_name=(outputs or {}).get("TableName"),
    )
    rt.ui.result(f"sent item {result.item_id} to {result.table_name}:")
    for entry in result.trail:
        reason = f" ({entry.reason})" if entry.reason else ""
        rt.ui.result(f"  +{entry.seconds:7.3f}s  {entry.status}{reason}")
    if result.sns_message_id:
        rt.ui.result(f"  SNS message id {result.sns_message_id}, execution {result.execution}")
    summary: dict[str, Any] = result.as_dict()
    if not result.succeeded:
        ended = "timed out" if result.timed_out else f"ended {result.status}"
        raise DeployFailedError(
            f"message {result.item_id} {ended} after {result.seconds:.1f}s",
            hint="`disa-deploy status` shows the table's items by status",
        )
    return summary


def run_smoke(rt: Runtime, outputs: dict[str, str], runner: SmokeRunner | None) -> dict[str, Any]:
    rt.ui.progress("smoke test: sending one message and following it")
    if runner is not None:
        return runner(rt, outputs)
    return send(rt, SMOKE_MESSAGE, outputs=outputs)
