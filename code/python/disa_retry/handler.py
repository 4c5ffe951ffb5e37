"""disa_retry: re-drive failed items whose next attempt is due, a bounded amount per run.

Run by a schedule. Reads the sparse retry index shard by shard, every page, and for each
due item either ends it (``Exhausted`` once its consumed attempts reach MAX_ATTEMPTS,
counted by the RetriesExhausted metric) or claims it with a conditional write and starts
the next run's execution. The claim is what keeps two overlapping runs from sending
twice: only one of them can move the item off ``run``.

A claim is a lease, not a hand-over: it sets Retrying and run + 1 but leaves the item in
the index, due again RETRY_LEASE_SECONDS later. The new run's disa_process claim removes
it from the index, so a healthy run is gone from it within seconds. If that never
happens (this function dies between claim and start, StartExecution fails, or the
execution dies before its claim), the lease runs out and a later schedule re-drives the
item as the next run; a late execution of the abandoned run then loses its own claim on
``run`` and ends as AlreadyHandled. So a failed StartExecution is only logged: there is
no revert to fail in turn, run numbers only grow (an execution name is never reused), and
the lease is the one way back for every kind of stall. The lease must outlast the longest
time the state machine can take to claim (the Process task's timeout and retries), or a
slow but healthy run would be re-driven beside itself (it would lose its claim, not send
twice). Attempts are charged by disa_process's claim, so neither a deferral nor an
abandoned lease uses one up. Work stops cleanly DEADLINE_MARGIN_SECONDS before the Lambda
deadline; what is left stays in the index for the next run.

The claim and the start are disa_common.redrive's, shared with ``disa-deploy redrive``: the
claim also returns the item's request token, so the next run's execution is named for the
request the item holds now (an index row may be older than the item).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from disa_common import kit, log, model, redrive
from disa_common.aws import error_code
from disa_common.kit import Deps
from disa_common.redrive import DUE

# Items per Query page: small enough that the deadline is checked often, large enough
# that a backlog of thousands costs few calls.
PAGE_SIZE = 100


class Outcome(Enum):
    REDRIVEN = "redriven"
    EXHAUSTED = "exhausted"
    SKIPPED = "skipped"  # claimed by someone else meanwhile, or execution already there
    FAILED = "failed"  # an error; a claimed item comes back when its lease runs out
    LEFT = "left"  # not touched: too close to the deadline


@dataclass(frozen=True)
class Deadline:
    """Stops work ``margin_ms`` before the Lambda deadline (never, without a context)."""

    remaining_ms: Callable[[], int] | None
    margin_ms: float

    @classmethod
    def of(cls, context: Any, margin_seconds: float) -> Deadline:
        return cls(getattr(context, "get_remaining_time_in_millis", None), margin_seconds * 1000)

    def near(self) -> bool:
        return self.remaining_ms is not None and self.remaining_ms() < self.margin_ms


def handle(event: Any, context: Any, deps: Deps) -> dict[str, Any]:
    return redrive_due_items(deps, Deadline.of(context, deps.settings.deadline_margin_seconds))


lambda_handler = kit.entry("disa_retry", ("table_name", "state_machine_arn"), handle)


def redrive_due_items(deps: Deps, deadline: Deadline, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """Re-drive every due item of every shard, until done or the deadline is near."""
    settings = deps.settings
    with ThreadPoolExecutor(settings.retry_concurrency, thread_name_prefix="retry") as pool:
        run = _Run(deps, deadline, int(deps.clock()), page_size, pool)
        stopped = any(run.redrive_shard(str(shard)) for shard in range(settings.retry_shards))
    result: dict[str, Any] = {outcome.value: run.counts[outcome] for outcome in Outcome}
    result["stoppedEarly"] = stopped
    log.info("retry run done", **result)
    return result


@dataclass
class _Run:
    """One scheduled run: what every shard's pages share."""

    deps: Deps
    deadline: Deadline
    now: int  # items due at or before this epoch second are re-driven
    page_size: int
    pool: ThreadPoolExecutor
    counts: Counter[Outcome] = field(default_factory=Counter)

    def redrive_shard(self, shard: str) -> bool:
        """Work through one shard page by page; True if it stopped for the deadline."""
        start_key: dict[str, Any] | None = None
        while True:
            if self.deadline.near():
                return True
            rows, start_key = _due_page(self.deps, shard, self.now, self.page_size, start_key)
            outcomes = list(self.pool.map(self._redrive, rows))
            self.counts.update(outcomes)
            if Outcome.LEFT in outcomes:
                return True
            if start_key is None:
                return False

    def _redrive(self, row: dict[str, Any]) -> Outcome:
        return redrive_item(row, self.now, self.deps, self.deadline)


def _due_page(
    deps: Deps, shard: str, now: int, page_size: int, start_key: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    query: dict[str, Any] = {
        "TableName": deps.settings.table_name,
        "IndexName": model.RETRY_INDEX,
        "KeyConditionExpression": "#shard = :shard AND #next <= :now",
        "ExpressionAttributeNames": {"#shard": model.RETRY_SHARD, "#next": model.NEXT_ATTEMPT_AT},
        "ExpressionAttributeValues": {":shard": kit.s(shard), ":now": kit.n(now)},
        "Limit": page_size,
    }
    if start_key:
        query["ExclusiveStartKey"] = start_key
    answer = deps.ddb.query(**query)
    return answer.get("Items", []), answer.get("LastEvaluatedKey")


def redrive_item(row: dict[str, Any], now: int, deps: Deps, deadline: Deadline) -> Outcome:
    """End or re-drive one due item (a row of the retry index)."""
    if deadline.near():
        return Outcome.LEFT
    key = row.get(model.KEY, {}).get("S")
    try:
        run = int(row[model.RUN]["N"])
        attempts = int(row.get(model.ATTEMPTS, {"N": "0"})["N"])
        if attempts >= deps.settings.max_attempts:
            return _exhaust(key, run, attempts, now, deps)
        lease = redrive.claim(deps, redrive.due_claim(key, run, attempts, now))
        if lease is None:
            log.info("claimed elsewhere", id=key, run=run)
            return Outcome.SKIPPED
        return _start_next_run(lease, deps)
    except Exception as err:  # one bad item must not stop the rest
        log.error("retry failed", id=key, error=error_code(err))
        return Outcome.FAILED


def _exhaust(key: str, run: int, attempts: int, now: int, deps: Deps) -> Outcome:
    write = kit.update_item(
        deps,
        key,
        "SET #status = :exhausted, #updated = :now REMOVE #shard, #next",
        DUE,
        {
            ":exhausted": kit.s(model.Status.EXHAUSTED),
            ":now": kit.s(deps.now_iso()),
            **redrive.due_values(run, now),
        },
    )
    if not write.applied:
        log.info("moved on before exhausting", id=key, run=run)
        return Outcome.SKIPPED
    settings = deps.settings
    log.metric("RetriesExhausted", settings.metric_namespace, settings.environment,
               event="retries exhausted", level="WARNING", id=key, attempts=attempts,
               run=run)  # fmt: skip
    return Outcome.EXHAUSTED


def _start_next_run(lease: redrive.Lease, deps: Deps) -> Outcome:
    try:
        started = redrive.start(deps, lease)
    except Exception as err:
        code = error_code(err)
        log.error(
            "start failed, lease left to expire",
            id=lease.key,
            execution=lease.execution,
            error=code,
        )
        return Outcome.FAILED
    if not started:
        log.warning("execution already exists", id=lease.key, execution=lease.execution)
        return Outcome.SKIPPED
    log.info("re-driven", id=lease.key, execution=lease.execution, attempt=lease.attempt)
    return Outcome.REDRIVEN
