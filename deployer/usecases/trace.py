"""``trace ID``: one item's life, from its attributes to its executions and log lines.

Reads, in order: the root stack (table and state machine, ``MaxAttempts``), the item
(strongly consistent GetItem), each run's execution (DescribeExecution by the name the
handlers give it, plus the ``execution`` the item records, then its history), and the log
lines that carry the item (:func:`deployer.usecases.logs.read_logs`, from shortly before its
first execution). Executions are addressed by name, never found by listing: Step
Functions cannot list by name, and a listing pages through every execution there is. On an
environment deployed with ``WorkflowType=EXPRESS`` no execution is read at all: AWS keeps no
history of Express executions and answers no DescribeExecution for them, so each run is named
as one and its log lines tell the rest (the emulator would answer; AWS would not).

The message itself is reported by type, size and SHA-256 only, unless the caller asks for
it (``--show-message``); attributes DISA does not own are reported by name, type and size,
since an application may keep anything there. A role whose policy lists the attributes it
may read (the CI roles may never read a body) gets the attributes DISA owns and a note
instead of the digests. An unknown id is :class:`UnknownItemError` (exit 2).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deployer.errors import ConfigError, PreflightError
from deployer.gateways.dynamodb import Item, ReadDenied
from deployer.gateways.stepfunctions import ExecutionInfo, HistoryEvent
from deployer.runtime import Runtime
from deployer.usecases.logs import LogQuery, LogResult, read_logs
from deployer.usecases.names import FUNCTIONS, STATES, ItemModel, SystemNames, execution_arn
from deployer.usecases.names import load_item_model as _load_model

MAX_RUNS = 20  # newest runs traced; an item deferred for days can have hundreds
LOG_MARGIN_SECONDS = 900  # logs are read from this long before the first execution
DEFAULT_LOG_SECONDS = 86_400  # ... or from a day ago when no execution says when it began
# The attributes the item model owns: shown by value. The message and anything an
# application added are shown by type and size only.
OWNED = ("KEY", "STATUS", "RUN", "ATTEMPTS", "REASON", "RETRY_SHARD", "NEXT_ATTEMPT_AT",
         "SNS_MESSAGE_ID", "EXECUTION", "UPDATED_AT", "REQUEST", "OWNER")  # fmt: skip


class UnknownItemError(ConfigError):
    """No item has this id (exit 2: the command line named something that is not there)."""


@dataclass(frozen=True)
class Digest:
    type: str  # DynamoDB type: S, B, N, M, ...
    size: int  # bytes (UTF-8 for strings)
    sha256: str


@dataclass(frozen=True)
class Step:
    state: str
    entered: datetime
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True)
class RunTrace:
    run: int
    name: str
    execution: ExecutionInfo | None  # None: no such execution (never started, or expired)
    steps: tuple[Step, ...] = ()
    express: bool = False  # an EXPRESS machine's run: Step Functions keeps no history of it


@dataclass(frozen=True)
class Schedule:
    status: str | None
    attempts: int
    max_attempts: int | None
    run: int
    next_attempt_at: int | None  # epoch seconds: due (Failure) or lease end (Retrying)
    now: float  # epoch seconds, when the trace read the item


@dataclass
class TraceResult:
    item_id: str
    table: str
    attributes: dict[str, Any] = field(default_factory=dict)  # owned, by value
    others: dict[str, Digest] = field(default_factory=dict)  # not owned, by type and size
    message: Digest | None = None
    message_text: str | None = None  # only with show_message
    body_read: bool = True  # False: this role may not read the message (nor what it does not own)
    runs: list[RunTrace] = field(default_factory=list)
    runs_omitted: int = 0
    schedule: Schedule | None = None
    logs: LogResult = field(default_factory=LogResult)


def trace(rt: Runtime, item_id: str, show_message: bool = False) -> TraceResult:
    names = SystemNames(rt.config.project, rt.config.name)
    stack = rt.stacks.describe(rt.config.stack_name)
    if stack is None:
        raise PreflightError(f"stack {rt.config.stack_name} not found: nothing deployed",
                             hint="deploy it first with `disa-deploy up`")  # fmt: skip
    table = stack.outputs.get("TableName", names.table)
    model = _load_model(rt.project)
    result = TraceResult(item_id, table)
    item = _read_item(rt, result, model)
    if item is None:
        raise UnknownItemError(
            f"no item with id {item_id!r} in table {table}",
            hint="`disa-deploy items` lists the newest items and their ids",
        )
    result = _describe_item(result, item, model, show_message)
    machine = stack.outputs.get("StateMachineArn", "")
    express = stack.parameters.get("WorkflowType") == "EXPRESS"
    result.runs, result.runs_omitted = _runs(rt, model, item, machine, express)
    max_attempts = _int(stack.parameters.get("MaxAttempts"))
    result.schedule = _schedule(item, model, max_attempts, rt.wall_clock())
    back = _seconds_back(result.runs, rt.wall_clock())
    query = LogQuery((*FUNCTIONS, STATES), back, item_id=item_id)
    result.logs = read_logs(rt, query, frozenset(r.name for r in result.runs))
    return result


def _read_item(rt: Runtime, result: TraceResult, model: ItemModel) -> Item | None:
    """The whole item; or, where the caller may not read bodies, the attributes DISA owns."""
    try:
        return rt.table.get_whole_item(result.table, result.item_id)
    except ReadDenied:
        result.body_read = False
        owned = [model.attribute(name) for name in OWNED]
        return rt.table.get_item(result.table, result.item_id, owned)


def _describe_item(result: TraceResult, item: Item, model: ItemModel,
                   show_message: bool) -> TraceResult:  # fmt: skip
    owned = {model.attribute(name) for name in OWNED}
    body = model.attribute("MESSAGE")
    for name, value in item.values.items():
        if name == body:
            result.message = digest(item.types[name], value)
            result.message_text = _text(value) if show_message else None
        elif name in owned:
            result.attributes[name] = value
        else:
            result.others[name] = digest(item.types[name], value)
    return result


def digest(kind: str, value: Any) -> Digest:
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode("utf-8")
    else:
        data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()
    return Digest(kind, len(data), hashlib.sha256(data).hexdigest())


def _runs(rt: Runtime, model: ItemModel, item: Item, machine: str,
          express: bool = False) -> tuple[list[RunTrace], int]:  # fmt: skip
    last = _int(item.get(model.attribute("RUN"))) or 0
    first = max(1, last - MAX_RUNS + 1)
    key = str(item.get(model.attribute("KEY")))
    request = model.request_of(key, item.get(model.attribute("REQUEST")))
    wanted = [(run, model.execution_name(key, request, run)) for run in range(first, last + 1)]
    recorded = item.get(model.attribute("EXECUTION"))
    if isinstance(recorded, str) and recorded not in {name for _, name in wanted}:
        wanted.append((last, recorded))  # a name the handlers chose otherwise: trust it
    if express:  # AWS answers no DescribeExecution or history for Express: only the logs tell
        return [RunTrace(run, name, None, express=True) for run, name in wanted], first - 1
    runs = [_run(rt, run, name, execution_arn(machine, name)) for run, name in wanted]
    return runs, first - 1


def _run(rt: Runtime, run: int, name: str, arn: str) -> RunTrace:
    execution = rt.executions.describe(arn)
    if execution is None:
        return RunTrace(run, name, None)
    return RunTrace(run, name, execution, tuple(steps(rt.executions.history(arn))))


def steps(history: Iterable[HistoryEvent]) -> list[Step]:
    """The states an execution went through, each with the error that ended it, if any."""
    found: list[Step] = []
    for event in history:
        if event.type.endswith("StateEntered") and event.state:
            found.append(Step(event.state, event.timestamp))
        elif event.error and found and found[-1].error is None:
            last = found[-1]
            found[-1] = Step(last.state, last.entered, event.error, event.cause)
    return found


def _schedule(item: Item, model: ItemModel, max_attempts: int | None, now: float) -> Schedule:
    return Schedule(
        status=item.get(model.attribute("STATUS")),
        attempts=_int(item.get(model.attribute("ATTEMPTS"))) or 0,
        max_attempts=max_attempts,
        run=_int(item.get(model.attribute("RUN"))) or 0,
        next_attempt_at=_int(item.get(model.attribute("NEXT_ATTEMPT_AT"))),
        now=now,
    )


def _seconds_back(runs: list[RunTrace], now: float) -> float:
    """Seconds back from now to read logs from: before the oldest execution traced."""
    starts = [r.execution.started.timestamp() for r in runs if r.execution is not None]
    if not starts:
        return DEFAULT_LOG_SECONDS
    return max(0.0, now - min(starts)) + LOG_MARGIN_SECONDS


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)
