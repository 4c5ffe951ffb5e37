"""``up``'s pre-flight: bring the stack to a state a change set can start from, and the
no-op check that lets an unchanged deploy finish without creating a change set.

The no-op check is exact because packaging is content-addressed: the packaged root template
names every nested template, zip and definition by hash, so equal root text means an equal
tree. Parameters are compared after filling in the template's defaults, tags as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployer.cfn.stack_states import Next, decide
from deployer.cfn.template import load_template
from deployer.errors import ConfigError, DeployFailedError
from deployer.gateways.cloudformation import StackInfo
from deployer.runtime import Runtime
from deployer.usecases.package import PackageResult
from deployer.usecases.waiting import Deadline, settle
from deployer.usecases.watch import StackWatcher, newest_event_id


@dataclass(frozen=True)
class Target:
    kind: str  # CREATE | UPDATE (a change set type)
    stack: StackInfo | None


def prepare_stack(rt: Runtime, deadline: Deadline) -> Target:
    name = rt.config.stack_name
    stack = rt.stacks.describe(name)
    while True:
        step = decide(stack, rt.config.ownership_tags, rt.config.region)
        if step is Next.WAIT:
            stack = settle(rt, name, deadline)
            continue
        if step is Next.RECREATE:
            assert stack is not None
            delete_failed_stack(rt, stack, deadline)
            return Target("CREATE", None)
        return Target("CREATE" if step is Next.CREATE else "UPDATE", stack)


def delete_failed_stack(rt: Runtime, stack: StackInfo, deadline: Deadline) -> None:
    rt.ui.progress(f"{stack.name} is {stack.status} (a failed create): deleting it to start over")
    marker = newest_event_id(rt, stack.stack_id, deadline)
    rt.stacks.delete_stack(stack.stack_id)
    result = StackWatcher(rt, stack.name, stack.stack_id, marker).run(deadline)
    if result.final is not None and result.final.status != "DELETE_COMPLETE":
        raise DeployFailedError(
            f"could not delete failed stack {stack.name}: {result.final.status}",
            hint=f"aws cloudformation delete-stack --stack-name {stack.name} --retain-resources …",
        )


def stack_parameters(rt: Runtime, pkg: PackageResult) -> tuple[dict[str, str], dict[str, str]]:
    """(parameters to pass, the full set the stack will hold once template defaults apply)."""
    declared: Mapping[str, Any] = load_template(pkg.body).get("Parameters") or {}
    always = {
        "Project": rt.config.project,
        "Env": rt.config.name,
        "KmsKeyArn": pkg.store.key_arn,
        "ArtifactBucket": pkg.store.bucket,
    }
    passed = {k: v for k, v in always.items() if k in declared}
    for key, value in rt.config.parameters.items():
        if key not in declared:
            raise ConfigError(
                f"{rt.config.source}: key 'parameters.{key}': the root template does not "
                "declare this parameter"
            )
        passed[key] = value
    full = {
        k: str(spec.get("Default", "")) for k, spec in declared.items() if isinstance(spec, dict)
    }
    full.update(passed)
    return passed, full


def is_noop(
    rt: Runtime, stack: StackInfo, pkg: PackageResult, full_params: Mapping[str, str]
) -> bool:
    if stack.status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return False
    if dict(stack.tags) != rt.config.stack_tags or dict(stack.parameters) != dict(full_params):
        return False
    return rt.stacks.template_body(stack.stack_id) == pkg.body
