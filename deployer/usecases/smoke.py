"""``send`` and ``up --smoke``: write one message, follow it, fail unless it is Successful.

The write-and-follow logic is :func:`deployer.usecases.follow.send_message`; this module
gives it the runtime's gateways, clock and sleep and returns its :class:`SendResult`
(the CLI renders the trail). :func:`require_successful` turns a message that did not end
``Successful`` into :class:`DeployFailedError` (exit 4), so a pipeline's smoke step fails
loudly, and its hint names the two commands that show why. ``Edge.smoke`` may replace
the runner.
"""

from __future__ import annotations

from deployer.errors import DeployFailedError
from deployer.runtime import Runtime
from deployer.usecases.follow import SendResult, send_message
from deployer.wiring import SmokeRunner

SMOKE_MESSAGE = "disa-deploy smoke test"
SEND_TIMEOUT_SECONDS = 120.0


def send(rt: Runtime, message: str, timeout: float = SEND_TIMEOUT_SECONDS,
         outputs: dict[str, str] | None = None) -> SendResult:  # fmt: skip
    return send_message(
        rt.table,
        rt.stacks,
        rt.config.stack_name,
        message,
        clock=rt.clock,
        sleep=rt.sleep,
        timeout=timeout,
        table_name=(outputs or {}).get("TableName"),
    )


def run_smoke(rt: Runtime, outputs: dict[str, str], runner: SmokeRunner | None) -> SendResult:
    if runner is not None:
        return runner(rt, outputs)
    return send(rt, SMOKE_MESSAGE, outputs=outputs)


def require_successful(result: SendResult, env_flag: str) -> None:
    """Raise exit 4 unless the message ended Successful; ``env_flag`` is "" or " --env X"."""
    if result.succeeded:
        return
    ended = "timed out" if result.timed_out else f"ended {result.status}"
    reason = f" ({result.reason})" if result.reason and not result.timed_out else ""
    item = result.item_id
    raise DeployFailedError(
        f"message {item} {ended}{reason} after {result.seconds:.1f}s",
        hint=f"see why: disa-deploy trace {item}{env_flag} ; "
        f"disa-deploy logs --id {item}{env_flag} --since 1h",
    )
