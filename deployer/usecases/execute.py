"""The executor: run a plan's steps, follow the stack, return its outputs.

Dispatches on the step types of :mod:`deployer.cfn.plan` (``match``). A change set is
executed and followed across nested stacks (:class:`~deployer.usecases.watch.StackWatcher`);
a change that CloudFormation's change set did not list goes by UpdateStack; termination
protection by its own call. The :class:`~deployer.usecases.changeset.ChangeSetScope` is
released the moment something started in CloudFormation: from then on a failure is
followed and explained (one root cause), never cleaned up.
"""

from __future__ import annotations

from deployer.cfn.diagnosis import find_root_cause
from deployer.cfn.plan import (
    ExecuteChangeSet,
    Plan,
    SetTerminationProtection,
    UpdateWithoutChangeSet,
)
from deployer.cfn.stack_states import SETTLED_OK
from deployer.errors import DeployFailedError
from deployer.gateways.cloudformation import StackInfo
from deployer.runtime import Runtime
from deployer.usecases.changeset import ChangeSetScope, start_execution
from deployer.usecases.preflight import Desired
from deployer.usecases.waiting import Deadline
from deployer.usecases.watch import StackWatcher, newest_event_id


def execute_plan(
    rt: Runtime, plan: Plan, desired: Desired, deadline: Deadline, scope: ChangeSetScope
) -> dict[str, str]:
    """Run every step; the stack's outputs afterwards."""
    name = rt.config.stack_name
    final: StackInfo | None = None
    for step in plan.steps:
        match step:
            case ExecuteChangeSet(change_set=ref):
                marker = start_execution(rt, ref, deadline)
                scope.release()
                rt.progress.line(f"executing change set on {name}")
                final = follow(rt, ref.stack_id, marker, deadline)
            case UpdateWithoutChangeSet():
                final = update_directly(rt, plan, desired, deadline, scope)
            case SetTerminationProtection(enabled=enabled):
                rt.stacks.set_termination_protection(name, enabled)
                scope.release()
                rt.progress.line(f"termination protection of {name}: {_word(enabled)}")
    if final is None:
        final = rt.stacks.describe(name)
    return dict(final.outputs) if final else {}


def update_directly(
    rt: Runtime, plan: Plan, desired: Desired, deadline: Deadline, scope: ChangeSetScope
) -> StackInfo | None:
    name = rt.config.stack_name
    stack_id = plan.stack.stack_id if plan.stack else name
    marker = newest_event_id(rt, stack_id, deadline)
    if not rt.stacks.update_stack(name, desired.template, desired.parameters, desired.tags):
        what = ", ".join(c.name for c in (*plan.parameter_changes, *plan.tag_changes))
        raise DeployFailedError(
            f"CloudFormation finds nothing to update on {name}, yet it differs from what "
            f"would be deployed ({what or 'its template'}); nothing was changed",
            hint="compare `disa-deploy plan` with the stack's parameters and tags in the "
            "CloudFormation console; a value no resource uses is never updated",
        )
    scope.release()
    rt.progress.line(f"updating {name} directly: its change set listed no changes")
    return follow(rt, stack_id, marker, deadline)


def follow(rt: Runtime, stack_id: str, marker: str | None, deadline: Deadline) -> StackInfo:
    """Watch the operation to its end; the settled stack, or the root cause (exit 4)."""
    name = rt.config.stack_name
    result = StackWatcher(rt, name, stack_id, marker).run(deadline)
    final = result.final
    if final is not None and final.status in SETTLED_OK:
        return final
    cause = find_root_cause(result.events)
    status = final.status if final else "gone"
    raise DeployFailedError(
        f"deploy of {name} failed: stack is {status}",
        hint=f"events: aws cloudformation describe-stack-events --stack-name "
        f"{name} --region {rt.config.region}",
        root_cause=cause.as_dict() if cause else None,
    )


def _word(enabled: bool) -> str:
    return "on" if enabled else "off"
