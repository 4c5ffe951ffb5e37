"""``up`` and ``plan``: package, pre-flight, change set, guard, then execute (``up`` only).

Order of work, each step refusing early: account guard and upload (``package``); stack state
(``prepare_stack``); the no-op fast path (no change set at all when the deployed template,
parameters and tags already match); the change set, shown as a tree; the stateful guard
(``--allow-replace``); execution, followed across nested stacks; outputs or a root cause.
Every wait shares one deadline (``--timeout``); whatever fails before execution starts
removes the change set this run made (:func:`~deployer.usecases.changeset.cleanup_on_failure`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from deployer.cfn.changes import ChangeNode, count_actions, refused_changes
from deployer.cfn.diagnosis import find_root_cause
from deployer.cfn.stack_states import SETTLED_OK
from deployer.errors import DeployFailedError, PreflightError
from deployer.runtime import Runtime
from deployer.ui.output import Summary, render_change_tree, render_mapping, render_refusal
from deployer.usecases.changeset import (
    ChangeSet,
    cleanup_on_failure,
    create_change_set,
    discard,
    start_execution,
)
from deployer.usecases.package import package
from deployer.usecases.preflight import is_noop, prepare_stack, stack_parameters
from deployer.usecases.waiting import Deadline
from deployer.usecases.watch import StackWatcher

DEPLOY_TIMEOUT_SECONDS = 60 * 60


@dataclass(frozen=True)
class DeployOptions:
    execute: bool = True  # False: plan
    allow_replace: bool = False
    timeout: float = DEPLOY_TIMEOUT_SECONDS  # all of the waits on the stack, together
    save: Path | None = None


@dataclass
class DeployOutcome:
    changed: bool
    tree: list[ChangeNode] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)


def deploy(rt: Runtime, options: DeployOptions, summary: Summary) -> DeployOutcome:
    started = rt.clock()
    pkg = package(rt)
    summary.counts.update(pkg.counts())
    summary.durations["package"] = round(rt.clock() - started, 3)
    deadline = Deadline.start(rt, options.timeout)
    target = prepare_stack(rt, deadline)
    passed, full = stack_parameters(rt, pkg)
    if target.stack is not None and is_noop(rt, target.stack, pkg, full):
        return _no_changes(rt, summary, dict(target.stack.outputs))
    made_stack = target.stack is None
    change_set = create_change_set(rt, target.kind, pkg.template, passed, deadline, made_stack)
    if change_set is None:
        stack = rt.stacks.describe(rt.config.stack_name)
        return _no_changes(rt, summary, dict(stack.outputs) if stack else {})
    with cleanup_on_failure(rt, change_set):  # until execution starts
        tree = list(change_set.tree)
        summary.counts.update({f"changes_{k.lower()}": v for k, v in count_actions(tree).items()})
        summary.details["changes"] = [node.as_dict() for node in tree]
        rt.ui.result(f"Change set for {rt.config.stack_name} ({change_set.kind}):")
        rt.ui.result(render_change_tree(tree, rt.ui) or "  (no resource changes)")
        _guard(rt, change_set, options)
        if not options.execute:
            return _finish_plan(rt, change_set, options, summary)
        marker = start_execution(rt, change_set, deadline)
    outputs = _follow(rt, change_set, marker, deadline)
    summary.durations["deploy"] = round(rt.clock() - started, 3)
    return DeployOutcome(True, tree, outputs)


def _no_changes(rt: Runtime, summary: Summary, outputs: dict[str, str]) -> DeployOutcome:
    rt.ui.result(f"no changes: {rt.config.stack_name} already matches what would be deployed")
    summary.changed = False
    return DeployOutcome(False, [], outputs)


def _guard(rt: Runtime, change_set: ChangeSet, options: DeployOptions) -> None:
    refused = refused_changes(change_set.tree)
    if not refused:
        return
    if options.allow_replace:
        rt.ui.progress(render_refusal(refused).replace("refusing to", "--allow-replace: will"))
        return
    raise PreflightError(
        render_refusal(refused),
        hint="data would be lost; if that is intended, run again with --allow-replace",
    )


def _finish_plan(
    rt: Runtime, change_set: ChangeSet, options: DeployOptions, summary: Summary
) -> DeployOutcome:
    discard(rt, change_set)
    changed = bool(change_set.tree)
    summary.changed = changed
    if options.save is not None:
        plan = {"env": rt.config.name, "stack": rt.config.stack_name, "kind": change_set.kind,
                "changes": [node.as_dict() for node in change_set.tree]}  # fmt: skip
        options.save.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
        rt.ui.progress(f"plan saved to {options.save}")
    return DeployOutcome(changed, list(change_set.tree))


def _follow(
    rt: Runtime, change_set: ChangeSet, marker: str | None, deadline: Deadline
) -> dict[str, str]:
    rt.ui.progress(f"executing change set on {rt.config.stack_name}")
    watcher = StackWatcher(rt, rt.config.stack_name, change_set.stack_id, marker)
    result = watcher.run(deadline)
    final = result.final
    if final is not None and final.status in SETTLED_OK:
        rt.ui.result(render_mapping("Outputs", final.outputs))
        return dict(final.outputs)
    cause = find_root_cause(result.events)
    status = final.status if final else "gone"
    raise DeployFailedError(
        f"deploy of {rt.config.stack_name} failed: stack is {status}",
        hint=f"events: aws cloudformation describe-stack-events --stack-name "
        f"{rt.config.stack_name} --region {rt.config.region}",
        root_cause=cause.as_dict() if cause else None,
    )
