"""Rendering what the ship commands return: plans, deploys, packages, destroys.

Pure ``render_*`` functions (text for stdout) and ``*_summary`` functions (what each result
puts in the JSON summary). The use cases return values; only this module and the command
bodies turn them into words, so every line a user reads about a plan is written here once,
whether ``plan``, ``up`` or ``up --plan`` made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deployer.cfn.changes import count_actions
from deployer.cfn.plan import Plan, StackAction, UpdateWithoutChangeSet, ValueChange
from deployer.config.environment import EnvConfig
from deployer.ui.output import UI, Summary, render_change_tree, render_mapping, render_retained
from deployer.usecases.deploy import DeployOutcome
from deployer.usecases.destroy import DestroyOutcome, Targets
from deployer.usecases.package import PackageResult


def render_plan(plan: Plan, ui: UI) -> str:
    """What a plan will do: the change tree, then every value that differs."""
    name = plan.target.stack_name
    if plan.action is StackAction.NOOP:
        return f"no changes: {name} already matches what would be deployed"
    if plan.action is StackAction.RECREATE:
        return f"{plan.action.value}: {plan.note}"
    lines = [_heading(plan)]
    if plan.change_set is not None:
        lines.append(render_change_tree(plan.changes, ui) or "  (no resource changes)")
    lines += _values("Parameters", plan.parameter_changes)
    lines += _values("Tags", plan.tag_changes)
    if plan.protection_change is not None:
        change = plan.protection_change
        lines.append(f"Termination protection: {change.old} -> {change.new}")
    return "\n".join(lines)


def _heading(plan: Plan) -> str:
    name, change_set = plan.target.stack_name, plan.change_set
    if change_set is not None:
        return f"Change set for {name} ({change_set.kind}):"
    if any(isinstance(step, UpdateWithoutChangeSet) for step in plan.steps):
        return (f"Update of {name} without a change set (CloudFormation's listed no changes, "
                "yet these values differ):")  # fmt: skip
    return f"Changes to {name} (no change set needed):"


def _values(title: str, changes: Sequence[ValueChange]) -> list[str]:
    if not changes:
        return []
    width = max(len(c.name) for c in changes)
    lines = [f"{title} (deployed -> this deploy):"]
    for change in changes:
        old = "(none)" if change.old is None else change.old
        new = "(none)" if change.new is None else change.new
        lines.append(f"  {change.name:<{width}}  {old} -> {new}")
        lines += [f"    reaches {where}" for where in change.touches]
    return lines


def plan_summary(plan: Plan, summary: Summary) -> None:
    """The plan's part of the JSON summary (filled before anything executes)."""
    summary.changed = plan.changed
    summary.counts.update(
        {f"changes_{k.lower()}": v for k, v in count_actions(plan.changes).items()}
    )
    summary.details["changes"] = [node.as_dict() for node in plan.changes]
    summary.details["plan"] = plan.as_dict()


def deploy_summary(outcome: DeployOutcome, summary: Summary) -> None:
    summary.counts.update(outcome.counts)
    summary.durations.update(outcome.durations)
    summary.outputs = dict(outcome.outputs)
    if outcome.saved is not None:
        summary.details["plan_file"] = str(outcome.saved)


def render_outputs(outcome: DeployOutcome) -> str | None:
    """The outputs after an ``up`` (none to show for a stack that is not there)."""
    if not outcome.executed and not outcome.outputs:
        return None
    return render_mapping("Outputs", outcome.outputs)


def render_package(result: PackageResult) -> str:
    return (f"packaged: {len(result.uploaded)} uploaded, {len(result.skipped)} skipped, "
            f"{result.bytes_uploaded} bytes -> s3://{result.store.bucket}")  # fmt: skip


def render_nothing_to_destroy(config: EnvConfig) -> str:
    return (f"nothing to destroy: no stack {config.stack_name} in "
            f"{config.account_id}/{config.region}")  # fmt: skip


def render_targets(config: EnvConfig, targets: Targets) -> str:
    lines = [f"About to delete, in account {config.account_id}, region {config.region}:"]
    for stack in targets.stacks:
        lines.append(f"  {stack.name} ({stack.status})")
        lines.extend(f"    nested: {path}" for path in targets.nested.get(stack.name, ()))
    return "\n".join(lines)


def render_destroyed(outcome: DestroyOutcome) -> str:
    lines = []
    if outcome.not_deleted:
        names = ", ".join(outcome.not_deleted)
        lines.append(f"could not delete {names} through CloudFormation: {outcome.failure}")
        lines.append(f"stopping the emulator discards {names} with all local state")
    lines.append(render_retained(outcome.retained))
    return "\n".join(lines)


def destroy_summary(outcome: DestroyOutcome, summary: Summary) -> None:
    summary.changed = True
    summary.counts.update(stacks_deleted=len(outcome.deleted), retained=len(outcome.retained),
                          objects_purged=outcome.objects_purged)  # fmt: skip
    if outcome.not_deleted:
        summary.details["not_deleted"] = outcome.not_deleted


def package_summary(result: PackageResult, summary: Summary, state_dir: Any) -> None:
    summary.changed = bool(result.uploaded)
    summary.counts.update(result.counts())
    summary.details["packaged_template"] = str(state_dir)
