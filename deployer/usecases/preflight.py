"""Pre-flight: bring the stack to a state a plan can start from, and what would be deployed.

:func:`prepare_stack` waits for a stack in progress and, for ``up`` only, deletes a failed
create (owned by this env) so it can be created anew; ``plan`` never deletes, it reports the
stack to recreate. :func:`desired_state` is everything an ``up`` would deploy besides the
tree: the parameters (passed, and as the stack will hold them once the template's defaults
apply), the tags, and termination protection (on exactly when the env is ``protected``).
:func:`differences` compares those with the deployed stack; the template is compared by the
planner, which reads it only when nothing else differs.

Parameters the template declares ``NoEcho`` come back masked from DescribeStacks, so they
cannot be compared here: they are left out of the comparison and, when a template has any,
the planner always asks CloudFormation (a change set) instead of declaring "no changes".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployer.cfn.plan import Differences, protection_change, value_changes
from deployer.cfn.stack_states import Next, decide
from deployer.cfn.template import load_template
from deployer.errors import DeployFailedError
from deployer.gateways.cloudformation import StackInfo, TemplateSource
from deployer.runtime import Runtime
from deployer.usecases.package import PackageResult
from deployer.usecases.waiting import Deadline, settle
from deployer.usecases.watch import StackWatcher, newest_event_id


@dataclass(frozen=True)
class Prepared:
    kind: str  # CREATE | UPDATE | RECREATE (a failed create that `plan` leaves in place)
    stack: StackInfo | None  # the stack to update, the one in review, or the failed one


@dataclass(frozen=True)
class Desired:
    """What an ``up`` would deploy, besides the packaged tree."""

    template: TemplateSource
    body: str
    parameters: dict[str, str]  # what is passed
    full: dict[str, str]  # what the stack holds afterwards (template defaults applied)
    no_echo: frozenset[str]
    tags: dict[str, str]
    protection: bool


def prepare_stack(rt: Runtime, deadline: Deadline, may_delete: bool = True) -> Prepared:
    name = rt.config.stack_name
    stack = rt.stacks.describe(name)
    while True:
        step = decide(stack, rt.config.ownership_tags, rt.config.region)
        if step is Next.WAIT:
            stack = settle(rt, name, deadline)
            continue
        if step is Next.RECREATE:
            assert stack is not None
            if not may_delete:
                return Prepared("RECREATE", stack)
            delete_failed_stack(rt, stack, deadline)
            return Prepared("CREATE", None)
        return Prepared("CREATE" if step is Next.CREATE else "UPDATE", stack)


def delete_failed_stack(rt: Runtime, stack: StackInfo, deadline: Deadline) -> None:
    rt.progress.line(f"{stack.name} is {stack.status} (a failed create): deleting it to start over")
    marker = newest_event_id(rt, stack.stack_id, deadline)
    rt.stacks.delete_stack(stack.stack_id)
    result = StackWatcher(rt, stack.name, stack.stack_id, marker).run(deadline)
    if result.final is not None and result.final.status != "DELETE_COMPLETE":
        raise DeployFailedError(
            f"could not delete failed stack {stack.name}: {result.final.status}",
            hint=f"aws cloudformation delete-stack --stack-name {stack.name} --retain-resources …",
        )


def desired_state(rt: Runtime, pkg: PackageResult) -> Desired:
    """Parameters: the tool's own (project, env, the store's key and bucket) and the env's.

    Every env parameter is declared by the root template: the gate checked that before the
    package step, so none is dropped or refused here.
    """
    declared: Mapping[str, Any] = load_template(pkg.body).get("Parameters") or {}
    always = {
        "Project": rt.config.project,
        "Env": rt.config.name,
        "KmsKeyArn": pkg.store.key_arn,
        "ArtifactBucket": pkg.store.bucket,
    }
    passed = {k: v for k, v in always.items() if k in declared}
    passed.update(rt.config.parameters)
    specs = {k: spec for k, spec in declared.items() if isinstance(spec, dict)}
    full = {k: str(spec.get("Default", "")) for k, spec in specs.items()}
    full.update(passed)
    no_echo = frozenset(k for k, spec in specs.items() if str(spec.get("NoEcho")).lower() == "true")
    return Desired(pkg.template, pkg.body, passed, full, no_echo, dict(rt.config.stack_tags),
                   rt.config.protected)  # fmt: skip


def differences(desired: Desired, stack: StackInfo | None) -> Differences:
    """Parameters, tags and protection of ``stack`` against ``desired`` (NoEcho left out)."""
    protection = protection_change(stack.termination_protection if stack else None,
                                   desired.protection)  # fmt: skip
    if stack is None:
        return Differences(protection=protection)
    deployed = {k: v for k, v in stack.parameters.items() if k not in desired.no_echo}
    wanted = {k: v for k, v in desired.full.items() if k not in desired.no_echo}
    return Differences(
        parameters=value_changes(deployed, wanted),
        tags=value_changes(dict(stack.tags), desired.tags),
        protection=protection,
    )
