"""Rendering the operate commands' results: status, send, logs, trace, items, redrive.

Pure functions from result values to text; the CLI prints them. Times are UTC. A log line
is rendered from what it is (a handler's JSON line as ``level event key=value…``, a
metric as ``metric Name``, a state machine event as its type and error), so the same
line reads the same in every command. A message body never reaches these functions
except ``trace --show-message``'s, which the caller asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from deployer.gateways.queues import QueueDepth
from deployer.ui.output import render_mapping
from deployer.usecases.follow import SendResult
from deployer.usecases.items import ItemsResult
from deployer.usecases.loglines import Kind, LogLine
from deployer.usecases.redrive import Passed, RedrivePlan, RedriveResult
from deployer.usecases.status import StatusReport
from deployer.usecases.trace import Digest, RunTrace, Schedule, TraceResult

# JSON fields every handler line carries; shown by position, not as key=value.
_HEADER_FIELDS = ("time", "level", "event", "function", "requestId")


def render_status(report: StatusReport) -> str:
    parts = [render_mapping("Stacks", report.stacks), render_mapping("Outputs", report.outputs)]
    items = report.items
    parts.append(render_mapping("Items by status", items) if items is not None
                 else report.items_note)  # fmt: skip
    if report.dead_letters:
        parts.append(_render_dead_letters(report.dead_letters, report.endpoint_url))
    if report.dashboard_url:
        parts.append(f"Dashboard: {report.dashboard_url}")
    return "\n".join(parts)


def _render_dead_letters(queues: Mapping[str, QueueDepth | None], endpoint: str | None) -> str:
    lines = ["Dead-letter queues:"]
    local = f" --endpoint-url {endpoint}" if endpoint else ""
    holding = False
    for name, depth in queues.items():
        if depth is None:
            lines.append(f"  {name}: absent")
            continue
        held = depth.waiting + depth.in_flight
        lines.append(f"  {name}: {held} message{'' if held == 1 else 's'}"
                     + (f" ({depth.in_flight} being read)" if depth.in_flight else ""))  # fmt: skip
        if held:
            holding = True
            lines.append(f"    read with: aws sqs receive-message --queue-url {depth.url}{local}")
    if holding:
        lines.append("  counted, never read here: a message there may hold a body, so reading "
                     "takes credentials allowed to (README: What happens to an item)")  # fmt: skip
    return "\n".join(lines)


def render_send(result: SendResult) -> str:
    lines = [f"sent item {result.item_id} to {result.table_name}:"]
    for entry in result.trail:
        reason = f" ({entry.reason})" if entry.reason else ""
        lines.append(f"  +{entry.seconds:7.3f}s  {entry.status}{reason}")
    if result.sns_message_id:
        lines.append(f"  SNS message id {result.sns_message_id}, execution {result.execution}")
    return "\n".join(lines)


def clock_time(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{epoch_ms % 1000:03d}"


def render_log_line(line: LogLine) -> str:
    return f"{clock_time(line.timestamp)} {line.source:<7} {_body(line)}"


def _body(line: LogLine) -> str:
    fields = line.fields
    if line.kind is Kind.JSON:
        head = f"{str(fields.get('level', '')):<7} {fields.get('event', '')}"
        names = _metric_names(fields)
        emf = ("_aws", "Environment", *names) if names else ()
        rest = {k: v for k, v in fields.items() if k not in _HEADER_FIELDS and k not in emf}
        counted = f" metric={','.join(names)}" if names else ""
        # lambda_request, not request: an item's own ``request`` token is a field too
        invocation = f" lambda_request={str(line.request_id)[:8]}" if line.request_id else ""
        return head + _pairs(rest) + counted + invocation
    if line.kind is Kind.METRIC:
        names = _metric_names(fields)
        rest = {k: v for k, v in fields.items() if k != "_aws" and k not in names}
        return "METRIC  " + " ".join(names) + _pairs(rest)
    if line.kind is Kind.STATES:
        raw = fields.get("details")
        details: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        extra = {k: details.get(k) for k in ("name", "error", "cause") if details.get(k)}
        return f"{fields.get('type', '')} execution={line.execution}{_pairs(extra)}"
    # Lambda's own lines use tabs and \r (for multi-line errors): one readable block.
    return line.message.replace("\r", "\n    ").replace("\t", " ")


def _metric_names(fields: Mapping[str, Any]) -> list[str]:
    """The metric names of an EMF line's ``_aws`` block; none for a line without one."""
    emf = fields.get("_aws")
    if not isinstance(emf, dict):
        return []
    return [str(m.get("Name")) for d in emf.get("CloudWatchMetrics", [])
            for m in d.get("Metrics", [])]  # fmt: skip


def _pairs(values: Mapping[str, Any]) -> str:
    return "".join(f" {k}={v}" for k, v in values.items())


def render_logs(lines: Iterable[LogLine]) -> str:
    return "\n".join(render_log_line(line) for line in lines)


def render_trace(result: TraceResult) -> str:
    parts = [f"Item {result.item_id} in {result.table}"]
    parts.append(render_mapping("Attributes", result.attributes))
    if result.message is not None:
        parts.append(f"Message: {_digest(result.message)}")
    if not result.body_read:
        parts.append("Message: not read (this role may read only the attributes DISA owns)")
    if result.message_text is not None:
        parts.append(f"Message text (--show-message):\n{result.message_text}")
    if result.others:
        parts.append(render_mapping("Other attributes (by size only)",
                                    {k: _digest(v) for k, v in result.others.items()}))  # fmt: skip
    if result.schedule is not None:
        parts.append(f"Retry schedule: {render_schedule(result.schedule)}")
    parts.append(_render_runs(result))
    logs = result.logs
    parts.append(f"Log lines ({len(logs.lines)}):" if logs.lines else "Log lines: (none found)")
    parts.extend(f"  {render_log_line(line)}" for line in logs.lines)
    return "\n".join(parts)


def _digest(value: Digest) -> str:
    return f"{value.type}, {value.size} bytes, sha256 {value.sha256}"


def _render_runs(result: TraceResult) -> str:
    if not result.runs:
        return "Executions: (none: no run was started)"
    lines = ["Executions:"]
    if result.runs_omitted:
        lines.append(f"  (runs 1-{result.runs_omitted} not shown: only the newest are traced)")
    lines.extend(_render_run(run) for run in result.runs)
    return "\n".join(lines)


def _render_run(run: RunTrace) -> str:
    execution = run.execution
    if run.express:
        return (f"  run {run.run}: {run.name}: an Express execution; Step Functions keeps no "
                "history of it (its log lines are below)")  # fmt: skip
    if execution is None:
        return f"  run {run.run}: {run.name}: no such execution (never started, or expired)"
    stopped = f" -> {_when(execution.stopped)}" if execution.stopped else ""
    head = f"  run {run.run}: {run.name}: {execution.status} ({_when(execution.started)}{stopped})"
    steps = []
    for step in run.steps:
        error = f" [{step.error}{': ' + step.cause if step.cause else ''}]" if step.error else ""
        steps.append(f"      {_when(step.entered)}  {step.state}{error}")
    return "\n".join([head, *steps])


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def render_schedule(schedule: Schedule) -> str:
    attempts = schedule.attempts
    of = f" of {schedule.max_attempts}" if schedule.max_attempts else ""
    due = schedule.next_attempt_at
    match schedule.status:
        case None:
            return "just inserted: waiting for disa_init_process to start run 1"
        case "Successful":
            return f"published on attempt {attempts}{of}"
        case "Invalid":
            return "never sent: the message is not publishable (see reason)"
        case "Exhausted":
            return f"no attempts left: {attempts}{of} used; never retried again"
        case "Processing":
            return f"run {schedule.run} in flight: attempt {attempts}{of}"
        case "Retrying" if due is not None:
            return f"run {schedule.run} claimed by disa_retry; lease {_relative(due, schedule)}"
        case "Failure" if due is not None:
            used = f"{attempts}{of} attempts used"
            left = schedule.max_attempts is not None and attempts >= schedule.max_attempts
            then = "marked Exhausted" if left else f"retried as run {schedule.run + 1}"
            return f"{used}; due {_relative(due, schedule)}, then {then} by disa_retry"
    return f"status {schedule.status}, attempt {attempts}{of}"


def _relative(due: int, schedule: Schedule) -> str:
    when = datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%d %H:%M:%S")
    seconds = int(due - schedule.now)
    ago = f"in {_span(seconds)}" if seconds >= 0 else f"{_span(-seconds)} ago"
    return f"at {when} ({ago})"


def _span(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m {secs}s" if minutes else f"{secs}s"


def render_items(result: ItemsResult) -> str:
    head = f"{result.status or 'All'} items in {result.table}, newest first"
    lines = [f"{head} ({len(result.rows)} of {result.matched} found):"]
    for row in result.rows:
        reason = f" ({row.reason})" if row.reason else ""
        lines.append(f"  {row.updated_at or '-':<24}  {row.status or '(new)':<10}  "
                     f"attempts {row.attempts or 0:<3} {row.id}{reason}")  # fmt: skip
    lines.append(render_read(result))
    return "\n".join(lines)


def render_read(result: ItemsResult) -> str:
    whole = "all of them" if result.complete else "stopped at --scan-limit: the list may miss some"
    estimate = f"; the table holds about {result.estimate}" if result.estimate is not None else ""
    return (f"read {result.read} items through the {result.source} ({whole}{estimate}), "
            f"{result.read_units:g} read units")  # fmt: skip


def trace_summary(result: TraceResult) -> dict[str, Any]:
    """The trace as JSON-ready values (``--output json``)."""
    data = asdict(result)
    data["logs"] = {"lines": [line.as_dict() for line in result.logs.lines],
                    "missing": result.logs.missing}  # fmt: skip
    if result.message_text is None:
        data.pop("message_text")
    return data


def items_summary(result: ItemsResult) -> dict[str, Any]:
    return asdict(result)


def render_redrive_plan(plan: RedrivePlan, dry_run: bool) -> str:
    """What the selection found: the items to re-drive and every item left alone, and why."""
    verb = "would redrive" if dry_run else "to redrive"
    lines = [f"{plan.selection} in {plan.table}: {len(plan.redrive)} {verb}"]
    for item in plan.redrive:
        token = item.request or "(no token)"
        lines.append(f"  redrive  {item.id}  {item.status}, run {item.run}, "
                     f"attempts {item.attempts}, request {token}")  # fmt: skip
    lines += _passed("refused", plan.refused) + _passed("skipped", plan.skipped)
    lines += [f"  unknown  {key}  no such item" for key in plan.unknown]
    if not plan.complete:
        lines.append(f"read {plan.read} items and stopped at --scan-limit: some may be missing")
    if dry_run:
        lines.append("dry run: nothing was written")
    return "\n".join(lines)


def render_redrive(plan: RedrivePlan, result: RedriveResult) -> str:
    """What the run did; its closing counts include the items the selection left alone."""
    lines = [f"  started  {item.id}  {item.execution} (attempt {item.attempt})"
             for item in result.redriven]  # fmt: skip
    lines += _passed("skipped", result.skipped) + _passed("failed", result.failed)
    skipped = len(plan.skipped) + len(result.skipped)
    lines.append(f"redriven {len(result.redriven)}, skipped {skipped}, "
                 f"failed {len(result.failed)}")  # fmt: skip
    return "\n".join(lines)


def _passed(word: str, items: Iterable[Passed]) -> list[str]:
    return [f"  {word:<7}  {item.id}  {item.reason}" for item in items]


def redrive_summary(plan: RedrivePlan, result: RedriveResult | None,
                    dry_run: bool = False) -> dict[str, Any]:  # fmt: skip
    """redriven / skipped / failed with reasons (``--output json``); skipped holds both the
    items left alone at the read and those that moved on before their claim. Without a
    result (a dry run, or no consent) nothing was written."""
    skipped = plan.skipped + (result.skipped if result else [])
    return {
        "table": plan.table,
        "selection": plan.selection,
        "dry_run": dry_run,
        "planned": [asdict(item) for item in plan.redrive],
        "redriven": [asdict(item) for item in result.redriven] if result else [],
        "skipped": [asdict(item) for item in skipped],
        "failed": [asdict(item) for item in result.failed] if result else [],
        "refused": [asdict(item) for item in plan.refused],
        "unknown": list(plan.unknown),
        "read": plan.read,
        "complete": plan.complete,
    }
