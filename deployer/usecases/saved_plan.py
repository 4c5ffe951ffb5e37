"""``up --plan FILE``: execute exactly the reviewed plan, or refuse (exit 3) if it is stale.

A saved plan is executed only when nothing it was made from has moved since. "Moved" means
any of, each checked before anything is uploaded or executed:

- the tree: the packaged root template's digest and every artifact's content-addressed key
  (rebuilt here from the checkout, no upload); then every artifact must be in the bucket
  with S3's SHA-256 of its content (nothing is uploaded: a missing or different object means
  the change set read something else);
- the env: the parameters (``--parameter`` included), tags and termination protection;
- the stack: its id, status and last-update time, and its deployed template's digest (for a
  first create: still the ``REVIEW_IN_PROGRESS`` stack the plan's change set made);
- the change set itself, which is the truth of what will run: it must still exist (executing
  any change set on a stack deletes the stack's others, and anyone may delete one), still be
  ``CREATE_COMPLETE``/``AVAILABLE``, deploy this tree's root template (GetTemplate by change
  set), with the plan's parameters and tags, and list the same change tree.

The file itself only names things; what executes is checked against the account. A stale or
foreign plan's change set is left as it is (it is the reviewed one; a new plan makes its own).
"""

from __future__ import annotations

from pathlib import Path

from deployer.cfn.plan import MASK, ChangeSetRef, Plan, StackAction, Target, sha256_text
from deployer.cfn.plan_file import plan_from_json
from deployer.config.environment import DEFAULT_ENV
from deployer.errors import ConfigError, PreflightError
from deployer.gateways.cloudformation import StackInfo
from deployer.runtime import Runtime
from deployer.usecases.changeset import ChangeSetScope, read_tree
from deployer.usecases.deploy import DeployOptions, DeployOutcome, Review, guard
from deployer.usecases.execute import execute_plan
from deployer.usecases.package import Stage, stage, verify
from deployer.usecases.preflight import desired_state
from deployer.usecases.waiting import Deadline


def read_plan(rt: Runtime, path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"--plan {path}: {err.strerror or err}") from err
    plan = plan_from_json(text, str(path))
    cfg = rt.config
    here = Target(cfg.name, cfg.project, cfg.stack_name, cfg.account_id, cfg.region)
    if plan.target != here:
        raise ConfigError(
            f"{path} is a plan for env {plan.target.env} (stack {plan.target.stack_name}, "
            f"account {plan.target.account_id}, region {plan.target.region}), not for env "
            f"{here.env} (stack {here.stack_name}, account {here.account_id}, region "
            f"{here.region})",
            hint="pass the --env the plan was made for",
        )
    return plan


def deploy_saved(rt: Runtime, path: Path, options: DeployOptions, review: Review) -> DeployOutcome:
    """Check, then execute; Ctrl-C before execution keeps the reviewed change set, and says so."""
    plan = read_plan(rt, path)
    started = rt.clock()
    with ChangeSetScope(rt, plan.change_set, owned=False) as scope:
        staged = stage(rt, create_store=False)
        stale = tree_moved(plan, staged)
        wrong, pkg = verify(rt, staged) if not stale else ([], None)
        stale += [f"{name} is not in the bucket as the plan left it" for name in wrong]
        _refuse_if(rt, path, stale)
        assert pkg is not None
        desired = desired_state(rt, pkg)
        stale = env_moved(plan, desired.parameters, desired.no_echo, desired.tags,
                          desired.protection)  # fmt: skip
        stack = rt.stacks.describe(rt.config.stack_name)
        stale += stack_moved(rt, plan, stack)
        deadline = Deadline.start(rt, options.timeout)
        if plan.change_set is not None and not stale:
            stale += change_set_moved(rt, plan, plan.change_set, deadline)
        _refuse_if(rt, path, stale)
        durations = {"package": round(rt.clock() - started, 3)}
        review(plan)
        guard(rt, plan, options)
        if plan.action is StackAction.NOOP:
            outputs = dict(stack.outputs) if stack else {}
            return DeployOutcome(plan, pkg.counts(), outputs, durations)
        outputs = execute_plan(rt, plan, desired, deadline, scope)
    durations["deploy"] = round(rt.clock() - started, 3)
    return DeployOutcome(plan, pkg.counts(), outputs, durations, executed=True)


def tree_moved(plan: Plan, staged: Stage) -> list[str]:
    if sha256_text(staged.packaged.body) == plan.template_sha256:
        return []
    planned = dict(plan.artifacts)
    now = {a.name: a.key for a in staged.artifacts}
    names = sorted(n for n in planned.keys() | now.keys() if planned.get(n) != now.get(n))
    return [f"the tree changed since the plan: {', '.join(names) or 'the root template'}"]


def env_moved(plan: Plan, parameters: dict[str, str], no_echo: frozenset[str],
              tags: dict[str, str], protection: bool) -> list[str]:  # fmt: skip
    reasons = []
    planned = dict(plan.parameters)
    now = {k: MASK if k in no_echo else v for k, v in parameters.items()}
    names = sorted(k for k in planned.keys() | now.keys() if planned.get(k) != now.get(k))
    if names:
        reasons.append("the parameters differ from the plan's: " + ", ".join(
            f"{k} planned {planned.get(k)!r}, now {now.get(k)!r}" for k in names)
            + " (a --parameter given to `plan` must be given to `up --plan` too)")  # fmt: skip
    if dict(plan.tags) != tags:
        reasons.append("the env's tags changed since the plan")
    if plan.termination_protection != protection:
        reasons.append("the env's `protected` (termination protection) changed since the plan")
    return reasons


def stack_moved(rt: Runtime, plan: Plan, stack: StackInfo | None) -> list[str]:
    name = rt.config.stack_name
    snap, ref = plan.stack, plan.change_set
    if snap is None:  # a first create: the plan's change set made the stack, in review
        if ref is None or stack is None or stack.stack_id != ref.stack_id:
            return [f"{name} is not the stack the plan's change set made"]
        return [] if stack.status == "REVIEW_IN_PROGRESS" else [f"{name} is now {stack.status}"]
    if stack is None:
        return [f"{name} no longer exists"]
    now = (stack.stack_id, stack.status, stack.last_updated)
    then = (snap.stack_id, snap.status, snap.last_updated)
    if now != then:
        return [f"{name} changed since the plan: {_moved(then, now)}"]
    if snap.template_sha256 and snap.template_sha256 != sha256_text(
        rt.stacks.template_body(stack.stack_id)
    ):
        return [f"{name}'s deployed template changed since the plan"]
    return []


def change_set_moved(rt: Runtime, plan: Plan, ref: ChangeSetRef, deadline: Deadline) -> list[str]:
    info = rt.stacks.find_change_set(ref.change_set_id)
    cs = f"the reviewed change set {ref.change_set_id}"
    if info is None:
        return [f"{cs} no longer exists (executing any change set on a stack deletes its "
                "others, and it may have been deleted)"]  # fmt: skip
    if (info.status, info.execution_status) != ("CREATE_COMPLETE", "AVAILABLE"):
        return [f"{cs} is {info.status}/{info.execution_status}, not executable"]
    reasons = []
    if info.stack_id and info.stack_id != ref.stack_id:
        reasons.append(f"{cs} belongs to another stack ({info.stack_id})")
    body = rt.stacks.template_body(rt.config.stack_name, ref.change_set_id)
    if sha256_text(body) != plan.template_sha256:
        reasons.append(f"{cs} deploys another template than this tree's")
    differing = [k for k, v in plan.parameters if v != MASK and info.parameters.get(k) != v]
    if differing:
        reasons.append(f"{cs} passes other parameter values ({', '.join(differing)})")
    if dict(info.tags) != dict(plan.tags):
        reasons.append(f"{cs} carries other tags")
    if not reasons and read_tree(rt, info, deadline) != plan.changes:
        reasons.append(f"{cs} now lists other changes than the plan")
    return reasons


def _moved(then: tuple[str, str, str], now: tuple[str, str, str]) -> str:
    labels = ("id", "status", "last updated")
    pairs = zip(labels, then, now, strict=True)
    return ", ".join(f"{label} {a} -> {b}" for label, a, b in pairs if a != b)


def _refuse_if(rt: Runtime, path: Path, reasons: list[str]) -> None:
    if not reasons:
        return
    flag = "" if rt.config.name == DEFAULT_ENV else f" --env {rt.config.name}"
    raise PreflightError(
        f"the plan in {path} is stale: " + "; ".join(reasons),
        hint=f"nothing was uploaded or executed; review a new plan: disa-deploy plan{flag} "
        f"--save {path}",
    )
