"""``redrive``: send Failure and Exhausted items again, with the retry function's own code.

Where the run starter lives: ``code/python/disa_common/redrive.py``, the module disa_retry
runs, loaded from the project tree at run time as the item model is
(:func:`deployer.usecases.names.load_run_code`) and run with the deployed retry function's
settings (its Lambda environment: table, state machine, shards, backoff, lease) and this
tool's clients (:mod:`deployer.gateways.runs`). So an operator's re-drive and the schedule's
race on one conditional write and only one wins, and both name a run alike: a repeated
start meets ExecutionAlreadyExists instead of sending twice.

Plan, then execute. :func:`plan_redrive` only reads: the retry function's configuration,
the selection (``--status Failure``: a Scan of the sparse retry index's keys;
``Exhausted``: a Scan of the table, filtered on the server, bounded by ``scan_limit``; or
the ``--id`` list), then each item by key (strongly consistent, its state attributes only,
never the message). Each selected item is then one of: to re-drive (Failure or Exhausted,
as read), skipped (Successful: never sent again; in flight; no longer in the status asked),
refused (Invalid: its message can never be published), or unknown (no such id).
:func:`execute_redrive` then takes the items one by one, at most ``rate`` starts a second:
the claim, one conditional UpdateItem that holds only while the item is still as read
(status, run and request), then StartExecution. An item that moved on meanwhile is
skipped, so a Successful item is never published again even if it got there after the
read; an AWS error fails that item (a claimed item whose start failed comes back when its
lease ends, as a schedule's would) and the rest go on. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployer.errors import DeployError, ExitCode, PreflightError
from deployer.gateways.dynamodb import Item
from deployer.gateways.runs import Lease, RunGateway
from deployer.runtime import Runtime
from deployer.usecases.consent import Confirm
from deployer.usecases.names import SystemNames, load_item_model, load_run_code

REDRIVABLE = ("Failure", "Exhausted")  # disa_common.redrive.REDRIVABLE
DEFAULT_RATE = 10.0  # starts per second
DEFAULT_SCAN_LIMIT = 10_000
READ = ("id", "status", "run", "attempts", "request", "reason")  # never the message
IN_FLIGHT = ("Processing", "Retrying")
NEVER_PUBLISHABLE = "its message can never be published; write the item again to send a new one"


@dataclass(frozen=True)
class Candidate:
    """An item read in a re-drivable status, as the claim must still find it."""

    id: str
    status: str
    run: int
    attempts: int
    request: str | None  # None: an item from before request tokens


@dataclass(frozen=True)
class Passed:
    """An item left alone, and why."""

    id: str
    reason: str


@dataclass
class RedrivePlan:
    table: str
    selection: str  # "status Exhausted" or "ids"
    runs: RunGateway = field(repr=False, compare=False)
    redrive: list[Candidate] = field(default_factory=list)
    skipped: list[Passed] = field(default_factory=list)
    refused: list[Passed] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    read: int = 0  # index rows and items read to select
    complete: bool = True  # False: the selection stopped at scan_limit


@dataclass(frozen=True)
class Redriven:
    id: str
    execution: str
    attempt: int


@dataclass
class RedriveResult:
    plan: RedrivePlan
    redriven: list[Redriven] = field(default_factory=list)
    skipped: list[Passed] = field(default_factory=list)  # moved on since the read
    failed: list[Passed] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return plan_exit_code(self.plan, failed=bool(self.failed))


def plan_exit_code(plan: RedrivePlan, failed: bool = False) -> ExitCode:
    """4 if a claim or start failed, else 2 for an unknown id, 3 for a refused item, else 0."""
    if failed:
        return ExitCode.FAILED
    if plan.unknown:
        return ExitCode.CONFIG
    return ExitCode.REFUSED if plan.refused else ExitCode.OK


def plan_redrive(rt: Runtime, status: str | None, ids: Sequence[str],
                 scan_limit: int = DEFAULT_SCAN_LIMIT) -> RedrivePlan:  # fmt: skip
    """What a re-drive of ``status`` (or of ``ids``) would do; reads only."""
    runs = _runs(rt)
    plan = RedrivePlan(runs.table, f"status {status}" if status else "ids", runs)
    keys = _select(rt, plan, status, scan_limit) if status else list(dict.fromkeys(ids))
    for key in keys:
        _sort(plan, key, rt.table.get_item(plan.table, key, READ), status)
    plan.read += len(keys)
    return plan


def _runs(rt: Runtime) -> RunGateway:
    function = SystemNames(rt.config.project, rt.config.name).function("retry")
    environment = rt.functions.environment(function)
    if environment is None:
        raise PreflightError(f"no function {function}: env {rt.config.name} is not deployed",
                             hint="deploy it first with `disa-deploy up`")  # fmt: skip
    return rt.runs_for(load_run_code(rt.project), environment)


def _select(rt: Runtime, plan: RedrivePlan, status: str, scan_limit: int) -> list[str]:
    if status == "Failure":  # exactly what the sparse index holds, with Retrying
        index = load_item_model(rt.project).retry_index
        found = rt.table.scan(plan.table, ("id",), scan_limit, index=index)
    else:
        found = rt.table.scan(plan.table, ("id", "status"), scan_limit, status=status)
    plan.read, plan.complete = found.scanned, found.complete
    return [str(item.get("id")) for item in found.items]


def _sort(plan: RedrivePlan, key: str, item: Item | None, wanted: str | None) -> None:
    if item is None:
        plan.unknown.append(key)
        return
    status = item.get("status")
    if status == "Invalid":
        reason = item.get("reason") or "invalid input"
        plan.refused.append(Passed(key, f"Invalid ({reason}): {NEVER_PUBLISHABLE}"))
        return
    why = _why_not(status, wanted)
    if why is None and not isinstance(item.get("run"), int):
        why = f"{status} without a run number: not written by DISA"
    if why is not None:
        plan.skipped.append(Passed(key, why))
        return
    attempts = item.get("attempts")
    request = item.get("request")
    plan.redrive.append(Candidate(key, str(status), int(item.get("run")),
                                  attempts if isinstance(attempts, int) else 0,
                                  request if isinstance(request, str) else None))  # fmt: skip


def _why_not(status: Any, wanted: str | None) -> str | None:
    """Why an item read in ``status`` is not re-driven; None if it is."""
    if status == "Successful":
        return "Successful: never sent again"
    if status in IN_FLIGHT:
        return f"{status}: a run is in flight"
    if status is None:
        return "no status: its first run has not started yet"
    if wanted is not None and status != wanted:
        return f"now {status}, not {wanted}"
    if status not in REDRIVABLE:
        return f"{status}: not re-drivable"
    return None


def require_consent(plan: RedrivePlan, yes: bool, confirm: Confirm | None, env: str) -> None:
    """--yes, or a yes typed at a terminal; without either, refuse (exit 3) before any write."""
    if yes or not plan.redrive:
        return
    if confirm is None:
        raise PreflightError("refusing to redrive without --yes: no terminal to ask for "
                             "confirmation; nothing was written",
                             hint="check the list with --dry-run, then pass --yes")  # fmt: skip
    if not confirm(f"Redrive {len(plan.redrive)} items of env {env}?"):
        raise PreflightError("redrive cancelled: nothing was written")


@dataclass
class Pacer:
    """At most ``rate`` starts per second: waits out what is left of each start's share."""

    clock: Callable[[], float]
    sleep: Callable[[float], None]
    rate: float
    last: float | None = None

    def wait(self) -> None:
        if self.last is not None:
            left = self.last + 1.0 / self.rate - self.clock()
            if left > 0:
                self.sleep(left)
        self.last = self.clock()


def execute_redrive(rt: Runtime, plan: RedrivePlan, rate: float = DEFAULT_RATE) -> RedriveResult:
    """Claim and start each planned item; one item's failure does not stop the rest."""
    result = RedriveResult(plan)
    pacer = Pacer(rt.clock, rt.sleep, rate)
    for candidate in plan.redrive:
        pacer.wait()
        _redrive_one(plan.runs, candidate, result)
    return result


def _redrive_one(runs: RunGateway, item: Candidate, result: RedriveResult) -> None:
    lease: Lease | None = None
    try:
        lease = runs.claim(item.id, item.status, item.run, item.attempts, item.request)
        if lease is None:
            result.skipped.append(Passed(item.id, "moved on since it was read"))
        elif runs.start(lease):
            result.redriven.append(Redriven(item.id, lease.execution, lease.attempt))
        else:
            result.skipped.append(Passed(item.id, f"execution {lease.execution} exists"))
    except DeployError as err:
        claimed = " (claimed: the retry schedule takes it over when the lease ends)"
        result.failed.append(Passed(item.id, err.message + (claimed if lease else "")))
