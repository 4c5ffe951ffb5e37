"""The planner: from the packaged tree, the env and the stack to a :class:`Plan`.

Read-only calls only, and one change set (which is how CloudFormation computes a diff):

1. a stack to recreate (``plan`` on a failed create): the plan says so and stops, since
   CloudFormation makes no change set for that stack until it is deleted;
2. an existing stack: parameters (defaults included), tags and termination protection are
   compared; only when those are equal (and no parameter is ``NoEcho``) is the deployed
   template read and compared as text. All equal: ``NOOP``, no change set at all. Only the
   protection differs: one step, no change set;
3. otherwise a change set, read as a tree. If it comes back "no changes" although a value
   differs, the plan never says "no changes": it updates the stack without a change set.

Each parameter change is traced through the nested templates to the resources it reaches
(:mod:`deployer.cfn.reach`). ``snapshot`` also records the deployed template's digest, which
a saved plan needs to tell later whether the stack moved.
"""

from __future__ import annotations

from dataclasses import replace

from deployer.cfn.plan import (
    Differences,
    ExecuteChangeSet,
    Plan,
    SetTerminationProtection,
    StackAction,
    StackSnapshot,
    Step,
    Target,
    UpdateWithoutChangeSet,
    ValueChange,
    masked,
    sha256_text,
    with_touches,
)
from deployer.cfn.reach import parameter_reach
from deployer.cfn.template import load_template
from deployer.gateways.cloudformation import StackInfo
from deployer.runtime import Runtime
from deployer.usecases.changeset import MadeChangeSet, create_change_set
from deployer.usecases.package import PackageResult
from deployer.usecases.preflight import Desired, Prepared, desired_state, differences
from deployer.usecases.waiting import Deadline


def make_plan(
    rt: Runtime, pkg: PackageResult, prepared: Prepared, deadline: Deadline, snapshot: bool
) -> tuple[Plan, Desired]:
    desired = desired_state(rt, pkg)
    base = _base(rt, pkg, desired)
    stack = prepared.stack
    if prepared.kind == "RECREATE":
        assert stack is not None
        note = (f"{stack.name} is {stack.status} (a failed create): up deletes it and "
                "creates it anew; CloudFormation makes no change set for it till then")  # fmt: skip
        return replace(base, action=StackAction.RECREATE, note=note,
                       stack=_snapshot(stack, "")), desired  # fmt: skip
    updating = prepared.kind == "UPDATE" and stack is not None
    diffs = differences(desired, stack if updating else None)
    diffs = Differences(_traced(rt, pkg, diffs), diffs.tags, diffs.protection)
    base = replace(base, parameter_changes=diffs.parameters, tag_changes=diffs.tags,
                   protection_change=diffs.protection)  # fmt: skip
    template_digest = ""
    if updating and stack is not None and not diffs.values_differ and not desired.no_echo:
        deployed = rt.stacks.template_body(stack.stack_id)
        template_digest = sha256_text(deployed)
        if deployed == pkg.body:
            steps = _protection_steps(diffs)
            action = StackAction.UPDATE if steps else StackAction.NOOP
            return replace(base, action=action, steps=steps,
                           stack=_snapshot(stack, template_digest)), desired  # fmt: skip
    if snapshot and updating and stack is not None and not template_digest:
        template_digest = sha256_text(rt.stacks.template_body(stack.stack_id))
    made = create_change_set(rt, prepared.kind, desired.template, desired.parameters, deadline,
                             made_stack=stack is None)  # fmt: skip
    snap = _snapshot(stack, template_digest) if stack is not None else None
    action = StackAction.UPDATE if updating else StackAction.CREATE
    if made is None:
        return _without_change_set(base, action, diffs, snap), desired
    return _with_change_set(base, action, made, diffs, snap), desired


def _with_change_set(base: Plan, action: StackAction, made: MadeChangeSet, diffs: Differences,
                     snap: StackSnapshot | None) -> Plan:  # fmt: skip
    steps: tuple[Step, ...] = (ExecuteChangeSet(made.ref), *_protection_steps(diffs))
    return replace(base, action=action, changes=made.tree, steps=steps, stack=snap)


def _without_change_set(base: Plan, action: StackAction, diffs: Differences,
                        snap: StackSnapshot | None) -> Plan:  # fmt: skip
    """CloudFormation saw nothing to change. With no difference of ours either (only
    NoEcho parameters were unknown to us) that is a no-op; otherwise it is deployed."""
    if not diffs.values_differ and action is StackAction.UPDATE:
        steps = _protection_steps(diffs)
        action = StackAction.UPDATE if steps else StackAction.NOOP
        return replace(base, action=action, steps=steps, stack=snap)
    steps = (UpdateWithoutChangeSet(), *_protection_steps(diffs))
    return replace(base, action=action, steps=steps, stack=snap)


def _protection_steps(diffs: Differences) -> tuple[Step, ...]:
    if diffs.protection is None:
        return ()
    return (SetTerminationProtection(diffs.protection.new == "on"),)


def _base(rt: Runtime, pkg: PackageResult, desired: Desired) -> Plan:
    cfg = rt.config
    return Plan(
        target=Target(cfg.name, cfg.project, cfg.stack_name, cfg.account_id, cfg.region),
        action=StackAction.NOOP,
        template_sha256=sha256_text(pkg.body),
        artifacts=tuple((a.name, a.key) for a in pkg.artifacts),
        parameters=masked(desired.parameters, desired.no_echo),
        tags=tuple(sorted(desired.tags.items())),
        termination_protection=desired.protection,
    )


def _snapshot(stack: StackInfo, template_digest: str) -> StackSnapshot:
    return StackSnapshot(stack.stack_id, stack.status, stack.last_updated, template_digest)


def _traced(rt: Runtime, pkg: PackageResult, diffs: Differences) -> tuple[ValueChange, ...]:
    if not diffs.parameters:
        return diffs.parameters
    nested = {url: load_template(text) for url, text in pkg.nested.items()}
    reach = parameter_reach(load_template(pkg.body), [c.name for c in diffs.parameters],
                            rt.config.stack_name, nested.get)  # fmt: skip
    return with_touches(diffs.parameters, reach)
