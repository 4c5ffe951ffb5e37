"""Bounded waits on stack states, with the injected clock and sleep."""

from __future__ import annotations

from deployer.cfn.stack_states import is_in_progress
from deployer.errors import WaitTimeoutError
from deployer.gateways.cloudformation import StackInfo
from deployer.runtime import Runtime


def wait_until_settled(rt: Runtime, name: str, timeout: float) -> StackInfo | None:
    """Poll until ``name`` is not in progress (or gone); raise after ``timeout`` seconds."""
    deadline = rt.clock() + timeout
    last_status = ""
    while True:
        stack = rt.stacks.describe(name)
        if stack is None or not is_in_progress(stack.status):
            return stack
        if stack.status != last_status:
            rt.ui.progress(f"{name} is {stack.status}: waiting for it to settle")
            last_status = stack.status
        if rt.clock() >= deadline:
            raise WaitTimeoutError(
                f"{name} still {stack.status} after {timeout:.0f}s",
                hint="CloudFormation carries on without us; run the command again later",
            )
        rt.wait()
