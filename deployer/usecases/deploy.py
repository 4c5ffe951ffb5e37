"""``up`` and ``plan``: package, pre-flight, plan, guard, then execute (``up`` only).

Plan, then execute. Both commands package (the gate first), bring the stack to a state a
plan can start from, and make one :class:`~deployer.cfn.plan.Plan`
(:mod:`deployer.usecases.planning`), which the caller's ``review`` callback receives before
anything executes (the CLI renders it). Then the stateful guard (``--allow-replace``), and:

- ``plan`` removes its change set, or with ``--save FILE`` keeps it and writes the plan;
- ``up`` runs the plan's steps (:mod:`deployer.usecases.execute`) and returns the outputs;
- ``up --plan FILE`` (:mod:`deployer.usecases.saved_plan`) runs a saved plan's steps once
  nothing it was made from has moved.

Every wait shares one deadline (``--timeout``). Whatever fails before execution starts,
Ctrl-C included, removes the change set this run made
(:class:`~deployer.usecases.changeset.ChangeSetScope`). Results are returned, never printed:
progress goes through ``rt.progress``, the rest is the CLI's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import deployer
from deployer.cfn.changes import describe_refusal
from deployer.cfn.plan import Plan, StackAction
from deployer.cfn.plan_file import plan_to_json
from deployer.errors import PreflightError
from deployer.runtime import Runtime
from deployer.usecases.changeset import ChangeSetScope, discard, report
from deployer.usecases.execute import execute_plan
from deployer.usecases.package import package
from deployer.usecases.planning import make_plan
from deployer.usecases.preflight import prepare_stack
from deployer.usecases.waiting import Deadline

DEPLOY_TIMEOUT_SECONDS = 60 * 60
Review = Callable[[Plan], None]


@dataclass(frozen=True)
class DeployOptions:
    allow_replace: bool = False
    timeout: float = DEPLOY_TIMEOUT_SECONDS  # all of the waits on the stack, together
    save: Path | None = None  # plan only: keep the change set, write the plan here


@dataclass(frozen=True)
class DeployOutcome:
    plan: Plan
    counts: dict[str, int] = field(default_factory=dict)  # the package step's
    outputs: dict[str, str] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    executed: bool = False  # something ran in CloudFormation
    saved: Path | None = None


def deploy(rt: Runtime, options: DeployOptions, review: Review) -> DeployOutcome:
    started = rt.clock()
    pkg = package(rt)
    durations = {"package": round(rt.clock() - started, 3)}
    deadline = Deadline.start(rt, options.timeout)
    prepared = prepare_stack(rt, deadline)
    with ChangeSetScope(rt, None) as scope:
        plan, desired = make_plan(rt, pkg, prepared, deadline, snapshot=False)
        scope.change_set = plan.change_set
        review(plan)
        guard(rt, plan, options)
        if plan.action is StackAction.NOOP:
            outputs = dict(prepared.stack.outputs) if prepared.stack else {}
            return DeployOutcome(plan, pkg.counts(), outputs, durations)
        outputs = execute_plan(rt, plan, desired, deadline, scope)
    durations["deploy"] = round(rt.clock() - started, 3)
    return DeployOutcome(plan, pkg.counts(), outputs, durations, executed=True)


def plan_deploy(rt: Runtime, options: DeployOptions, review: Review) -> DeployOutcome:
    """``plan``: like :func:`deploy` up to the guard; never deletes, never executes."""
    started = rt.clock()
    pkg = package(rt)
    durations = {"package": round(rt.clock() - started, 3)}
    deadline = Deadline.start(rt, options.timeout)
    prepared = prepare_stack(rt, deadline, may_delete=False)
    keep = options.save is not None
    with ChangeSetScope(rt, None) as scope:
        plan, _ = make_plan(rt, pkg, prepared, deadline, snapshot=keep)
        scope.change_set = plan.change_set
        review(plan)
        guard(rt, plan, options)
        if options.save is not None:
            refuse_unsavable(rt, plan)
            write_plan(rt, plan, options.save)
            scope.release()  # the change set now belongs to the saved plan
    if not keep and plan.change_set is not None:  # it was only there to be read
        report(rt, discard(rt, plan.change_set))
    return DeployOutcome(plan, pkg.counts(), durations=durations, saved=options.save)


def guard(rt: Runtime, plan: Plan, options: DeployOptions) -> None:
    refused = plan.refused
    if not refused:
        return
    if options.allow_replace:
        rt.progress.line(describe_refusal(refused).replace("refusing to", "--allow-replace: will"))
        return
    raise PreflightError(
        describe_refusal(refused),
        hint="data would be lost; if that is intended, run again with --allow-replace",
    )


def refuse_unsavable(rt: Runtime, plan: Plan) -> None:
    if plan.action is StackAction.RECREATE:
        raise PreflightError(
            f"cannot save a plan for {rt.config.stack_name}: {plan.note}",
            hint=f"run `disa-deploy up --env {rt.config.name}` (it deletes and recreates "
            "the stack), or delete the stack, then plan again",
        )


def write_plan(rt: Runtime, plan: Plan, path: Path) -> None:
    created = datetime.datetime.fromtimestamp(rt.wall_clock(), datetime.UTC).isoformat()
    path.write_text(plan_to_json(plan, created, deployer.__version__), encoding="utf-8")
