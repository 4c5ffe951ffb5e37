"""The commands that operate a deployed DISA: status, send, logs, trace, items, redrive.

Each body parses, calls one use case, renders its result (:mod:`deployer.ui.operate`) and
fills the JSON summary. ``redrive`` plans (reads only), shows the plan, asks for consent
and only then executes. ``logs --follow`` runs until Ctrl-C, which ends it cleanly with
exit code 130 (128 + SIGINT, the shell's convention) after the lines already read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from deployer.cli.app import Common, command, common_options, current_edge, run
from deployer.cli.params import DURATION, read_message, show_duration
from deployer.config.environment import DEFAULT_ENV, EnvConfig
from deployer.config.project import Project
from deployer.errors import ConfigError, EmulatorError, ExitCode
from deployer.runtime import Runtime
from deployer.ui.operate import (
    items_summary,
    redrive_summary,
    render_items,
    render_log_line,
    render_logs,
    render_redrive,
    render_redrive_plan,
    render_send,
    render_status,
    render_trace,
    trace_summary,
)
from deployer.ui.output import UI, Summary
from deployer.usecases.follow import SendResult
from deployer.usecases.items import DEFAULT_LIMIT, DEFAULT_SCAN_LIMIT, list_items
from deployer.usecases.logs import LogQuery, follow_logs, read_logs
from deployer.usecases.names import FUNCTIONS, log_sources
from deployer.usecases.redrive import (
    DEFAULT_RATE,
    REDRIVABLE,
    execute_redrive,
    plan_exit_code,
    plan_redrive,
    require_consent,
)
from deployer.usecases.smoke import SEND_TIMEOUT_SECONDS, require_successful, run_smoke, send
from deployer.usecases.status import DEFAULT_COUNT_LIMIT, status
from deployer.usecases.trace import trace
from deployer.wiring import Edge

STATUSES = ("Processing", "Successful", "Failure", "Retrying", "Invalid", "Exhausted")


def _env_flag(rt: Runtime) -> str:
    return "" if rt.config.name == DEFAULT_ENV else f" --env {rt.config.name}"


def _not_running(config: EnvConfig, project: Project, ui: UI, edge: Edge) -> None:
    raise EmulatorError("the local emulator is not running", hint="start it: disa-deploy up")


@command("status")
@common_options
@click.option("--count-limit", type=click.IntRange(min=0), default=DEFAULT_COUNT_LIMIT,
              show_default=True, help="Count items by status only if the table holds at most "
              "this many (counting reads the whole table); 0 counts always.")  # fmt: skip
def status_command(common: Common, count_limit: int) -> None:
    def when_down(config: EnvConfig, project: Project, ui: UI, edge: Edge) -> None:
        ui.result("emulator not running: nothing deployed (start it with `disa-deploy up`)")

    def body(rt: Runtime, summary: Summary) -> None:
        report = status(rt, count_limit)
        rt.ui.result(render_status(report))
        summary.outputs = report.outputs
        summary.counts = dict(report.items or {})
        summary.details["stacks"] = report.stacks
        summary.details["dashboard_url"] = report.dashboard_url
        summary.details["dead_letter_queues"] = {
            name: None if depth is None else {"waiting": depth.waiting,
                                              "in_flight": depth.in_flight}
            for name, depth in report.dead_letters.items()
        }  # fmt: skip

    run("status", common, body, start_emulator=False, when_down=when_down)


@command("send")
@common_options
@click.argument("message", required=False)
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Send this file's text (UTF-8) as the message; MESSAGE - reads stdin.",
)
@click.option("--timeout", type=DURATION, default=show_duration(SEND_TIMEOUT_SECONDS),
              show_default=True,
              help="How long to follow the message: seconds, or 90s, 15m, 1h.")  # fmt: skip
def send_command(common: Common, message: str | None, file: Path | None, timeout: float) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        text = read_message(message, file)
        result = send(rt, text, timeout)
        _report_send(rt, summary, "send", result)
        summary.changed = True

    run("send", common, body, start_emulator=False, when_down=_not_running)


def smoke_after_up(rt: Runtime, outputs: dict[str, str], summary: Summary) -> None:
    """``up --smoke``: one message through what was just deployed; exit 4 unless Successful."""
    rt.ui.progress("smoke test: sending one message and following it")
    _report_send(rt, summary, "smoke", run_smoke(rt, outputs, current_edge().smoke))


def _report_send(rt: Runtime, summary: Summary, key: str, result: SendResult) -> None:
    rt.ui.result(render_send(result))
    summary.details[key] = result.as_dict()
    require_successful(result, _env_flag(rt))


@command("logs")
@common_options
@click.option("--function", "function", type=click.Choice([*FUNCTIONS, "all"]), default="all",
              show_default=True, help="Whose log group: one function, or all of them and "
              "the state machine's.")  # fmt: skip
@click.option("--since", type=DURATION, default="15m", show_default=True,
              help="How far back to read: 30s, 15m, 2h, 1d.")  # fmt: skip
@click.option("--follow", is_flag=True, help="Keep reading new lines until Ctrl-C.")
@click.option("--id", "item_id", metavar="ITEM", help="Only this item's lines (and its "
              "invocations' untagged ones: START/END/REPORT, tracebacks).")  # fmt: skip
@click.option("--errors", is_flag=True, help="Only errors: level ERROR, failed invocations, "
              "tracebacks, failed executions.")  # fmt: skip
def logs_command(common: Common, function: str, since: float, follow: bool,
                 item_id: str | None, errors: bool) -> None:  # fmt: skip
    query = LogQuery(log_sources(function), since, item_id=item_id, errors_only=errors)

    def body(rt: Runtime, summary: Summary) -> None:
        if follow and common.output == "json":
            raise ConfigError("--follow prints lines as they come; --output json prints one "
                              "document at the end: use one of them")  # fmt: skip
        if follow:
            _follow(rt, summary, query)
            return
        result = read_logs(rt, query)
        if result.lines:
            rt.ui.result(render_logs(result.lines))
        else:
            rt.ui.result(_no_lines(query))
        for group in result.missing:
            rt.ui.progress(f"no log group {group} (nothing logged there yet)")
        if result.truncated:
            rt.ui.progress("more lines than shown (the newest are): narrow --since or filter")
        summary.counts = {"lines": len(result.lines)}
        summary.details["logs"] = {"groups": result.groups, "missing": result.missing,
                                   "truncated": result.truncated,
                                   "lines": [line.as_dict() for line in result.lines]}  # fmt: skip

    run("logs", common, body, start_emulator=False, when_down=_not_running)


def _no_lines(query: LogQuery) -> str:
    """Said rather than an empty screen, with what was searched."""
    what = "error lines" if query.errors_only else "log lines"
    item = f" of item {query.item_id}" if query.item_id else ""
    since = show_duration(query.since_seconds)
    return f"no {what}{item} in {', '.join(query.sources)} in the last {since}"


def _follow(rt: Runtime, summary: Summary, query: LogQuery) -> None:
    shown = 0
    try:
        for batch in follow_logs(rt, query):
            for line in batch:
                rt.ui.result(render_log_line(line))
            shown += len(batch)
    except KeyboardInterrupt:
        rt.ui.progress(f"stopped (Ctrl-C) after {shown} lines")
        summary.exit_code, summary.error = int(ExitCode.INTERRUPTED), "interrupted"
    summary.counts = {"lines": shown}


@command("trace")
@common_options
@click.argument("item_id", metavar="ID")
@click.option("--show-message", is_flag=True, help="Also print the message body (it is "
              "otherwise shown by size and SHA-256 only).")  # fmt: skip
def trace_command(common: Common, item_id: str, show_message: bool) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        result = trace(rt, item_id, show_message)
        rt.ui.result(render_trace(result))
        summary.details["trace"] = trace_summary(result)

    run("trace", common, body, start_emulator=False, when_down=_not_running)


@command("items")
@common_options
@click.option("--status", type=click.Choice(STATUSES), help="Only items in this status.")
@click.option("--limit", type=click.IntRange(min=1), default=DEFAULT_LIMIT, show_default=True,
              help="Items to list (the newest).")  # fmt: skip
@click.option("--scan-limit", type=click.IntRange(min=0), default=DEFAULT_SCAN_LIMIT,
              show_default=True, help="Read at most this many items; 0: no limit.")  # fmt: skip
def items_command(common: Common, status: str | None, limit: int, scan_limit: int) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        result = list_items(rt, status, limit, scan_limit)
        rt.ui.result(render_items(result))
        summary.counts = {"listed": len(result.rows), "matched": result.matched,
                          "read": result.read}  # fmt: skip
        summary.details["items"] = items_summary(result)

    run("items", common, body, start_emulator=False, when_down=_not_running)


@command("redrive")
@common_options
@click.option("--status", type=click.Choice(REDRIVABLE), help="Redrive every item in this "
              "status.")  # fmt: skip
@click.option("--id", "ids", multiple=True, metavar="ID", help="Redrive this item "
              "(repeatable); instead of --status.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="List what would be redriven; write nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required without a "
              "terminal).")  # fmt: skip
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_RATE,
              show_default=True, help="At most this many starts per second.")  # fmt: skip
@click.option("--scan-limit", type=click.IntRange(min=0), default=DEFAULT_SCAN_LIMIT,
              show_default=True, help="--status: read at most this many items to select; "
              "0: no limit.")  # fmt: skip
def redrive_command(common: Common, status: str | None, ids: tuple[str, ...], dry_run: bool,
                    yes: bool, rate: float, scan_limit: int) -> None:  # fmt: skip
    if status is None and not ids:
        raise click.UsageError("select the items: --status Failure|Exhausted, or --id ID")
    if status is not None and ids:
        raise click.UsageError("select the items with --status or with --id, not both")
    confirm = None if dry_run or yes else current_edge().confirm()

    def body(rt: Runtime, summary: Summary) -> None:
        plan = plan_redrive(rt, status, ids, scan_limit)
        rt.ui.result(render_redrive_plan(plan, dry_run))
        summary.details["redrive"] = redrive_summary(plan, None, dry_run)
        summary.exit_code = int(plan_exit_code(plan))
        if dry_run:
            _count_redrive(summary, summary.details["redrive"])
            return
        require_consent(plan, yes, confirm, rt.config.name)
        result = execute_redrive(rt, plan, rate)
        rt.ui.result(render_redrive(plan, result))
        summary.details["redrive"] = redrive_summary(plan, result)
        _count_redrive(summary, summary.details["redrive"])
        summary.changed = bool(result.redriven)
        summary.exit_code = int(result.exit_code)

    run("redrive", common, body, start_emulator=False, when_down=_not_running)


def _count_redrive(summary: Summary, details: dict[str, Any]) -> None:
    names = ("planned", "redriven", "skipped", "failed", "refused", "unknown")
    summary.counts = {name: len(details[name]) for name in names}
    summary.counts["read"] = details["read"]
    problems = [f"{summary.counts[n]} {n}" for n in ("failed", "unknown", "refused")
                if summary.counts[n]]  # fmt: skip
    if problems:
        summary.error = "redrive: " + ", ".join(problems)
