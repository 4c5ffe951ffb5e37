"""``logs``: the functions' and the state machine's log lines, interleaved by time.

Reads each source's log group with ``FilterLogEvents`` over a time window and merges them
by timestamp; the CLI renders. Two filters, applied here whatever the server did:

- ``--id ITEM``: the item's own lines plus the untagged lines of the invocations that
  handled it (Lambda's START/END/REPORT, a traceback), never another item's lines. On
  AWS the server first narrows each function group to the lines holding the id (an
  exact-phrase filter pattern), then each stream that holds one is read from that line
  until the invocation's REPORT, so a traceback that does not carry the id is found
  too. The item's execution names (for the state machine's lines) come from the item's
  ``run`` and ``execution`` attributes, one GetItem.
- ``--errors``: lines at level ERROR, failed REPORTs, timeouts, the runtime's unhandled
  errors and tracebacks, and failed execution events.

``follow`` polls: each round reads every source from just after the newest line seen,
drops lines already shown (same group and event id), sleeps, and doubles its sleep while
nothing new arrives (up to a cap; new lines bring it back down). It stops when the sleep
is interrupted (Ctrl-C): a generator that is closed or raises simply stops, so nothing is
half-printed and no call is made after the interrupt.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from deployer.gateways.logs import LogEvent
from deployer.runtime import Runtime
from deployer.usecases.loglines import LogLine, StreamReader, parse
from deployer.usecases.names import STATES, SystemNames, load_item_model

MAX_LINES = 10_000  # lines one `logs` run returns; a wider window says so instead
# Lambda's longest timeout: an invocation that logged at t has ended by t + 900 s.
INVOCATION_MS = 900_000
# A stream is read from this long before the item's first line in it, to find the START
# of that invocation (the reader drops what belongs to earlier ones).
LEAD_MS = 10_000
# Characters an id may hold to be sent as an exact-phrase filter pattern; any other id is
# filtered here only (a pattern with quotes or spaces would mean something else).
_PATTERN_SAFE = re.compile(r"^[A-Za-z0-9_.:/@+=-]+$")
# Pause between polls, by rt.emulated. On AWS a poll is one FilterLogEvents call per group
# (four for --function all), and the account's quota is 5 a second per region: every 5 s
# keeps a follow under one call a second, so a few operators can follow at once.
FOLLOW_MIN_SECONDS = {True: 0.5, False: 5.0}
FOLLOW_MAX_SECONDS = 60.0


@dataclass(frozen=True)
class LogQuery:
    sources: tuple[str, ...]
    since_seconds: float
    item_id: str | None = None
    errors_only: bool = False


@dataclass
class LogResult:
    lines: list[LogLine] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # source -> log group
    missing: list[str] = field(default_factory=list)  # groups that do not exist (yet)
    truncated: bool = False  # more than MAX_LINES matched


def read_logs(rt: Runtime, query: LogQuery, executions: frozenset[str] | None = None) -> LogResult:
    """The query's lines from ``since_seconds`` ago until now, oldest first."""
    names = SystemNames(rt.config.project, rt.config.name)
    if query.item_id and executions is None:
        executions = item_executions(rt, names, query.item_id)
    start = int((rt.wall_clock() - query.since_seconds) * 1000)
    read = _Read(rt, query, executions or frozenset(), start, LogResult())
    for source in query.sources:
        read.result.groups[source] = names.log_group(source)
        read.result.lines.extend(read.source(source, names.log_group(source)))
    lines = sorted(read.result.lines, key=_order)
    read.result.truncated = len(lines) > MAX_LINES
    read.result.lines = lines[-MAX_LINES:]
    return read.result


def item_executions(rt: Runtime, names: SystemNames, item_id: str) -> frozenset[str]:
    """Every execution name the current request's runs had: derived per run from the
    item's request token, plus the name the item records."""
    model = load_item_model(rt.project)
    item = rt.table.get_item(names.table, item_id, ("run", "execution", "request"))
    run = item.get("run") if item is not None else None
    runs = range(1, run + 1) if isinstance(run, int) and run > 0 else range(1, 2)
    request = model.request_of(item_id, item.get("request") if item is not None else None)
    found = {model.execution_name(item_id, request, r) for r in runs}
    recorded = item.get("execution") if item is not None else None
    if isinstance(recorded, str):
        found.add(recorded)
    return frozenset(found)


@dataclass
class _Read:
    rt: Runtime
    query: LogQuery
    executions: frozenset[str]
    start: int  # epoch ms
    result: LogResult

    def source(self, source: str, group: str) -> list[LogLine]:
        item = self.query.item_id
        if item and source != STATES and _PATTERN_SAFE.match(item):
            lines = self._item_lines(source, group, item)
        else:
            events = self.rt.logs.events(group, self.start, on_missing=self._missing)
            lines = _filtered(source, events, item, self.executions)
        return [line for line in lines if line.error] if self.query.errors_only else lines

    def _missing(self, group: str) -> None:
        self.result.missing.append(group)

    def _item_lines(self, source: str, group: str, item: str) -> list[LogLine]:
        """The server finds the streams that mention the item; each is read from there."""
        hits: dict[str, list[int]] = {}
        pattern = f'"{item}"'
        for event in self.rt.logs.events(group, self.start, pattern=pattern,
                                         on_missing=self._missing):  # fmt: skip
            hits.setdefault(event.stream, []).append(event.timestamp)
        lines: list[LogLine] = []
        for stream, times in hits.items():
            reader = StreamReader(item, self.executions)
            end = max(times) + INVOCATION_MS
            begin = min(times) - LEAD_MS
            for event in self.rt.logs.events(group, begin, end, streams=[stream]):
                lines.extend(reader.feed(parse(source, event)))
                if event.timestamp > max(times) and reader.idle:
                    break  # stop paging: the item's last invocation in this stream is over
        return lines


def _filtered(source: str, events: Iterator[LogEvent], item: str | None,
              executions: frozenset[str]) -> list[LogLine]:  # fmt: skip
    readers: dict[str, StreamReader] = {}
    lines: list[LogLine] = []
    for event in events:
        reader = readers.setdefault(event.stream, StreamReader(item, executions))
        lines.extend(reader.feed(parse(source, event)))
    return lines


def _order(line: LogLine) -> tuple[int, str, str]:
    return (line.timestamp, line.group, line.stream)


@dataclass
class _Cursor:
    """Where a follow stands in one group: the newest time read and what was shown near it."""

    start: int
    seen: dict[str, int] = field(default_factory=dict)  # event id -> timestamp
    readers: dict[str, StreamReader] = field(default_factory=dict)  # by stream


def follow_logs(rt: Runtime, query: LogQuery, executions: frozenset[str] | None = None,
                lookback_ms: int = 10_000) -> Iterator[list[LogLine]]:  # fmt: skip
    """One batch of new lines per poll, forever; the caller stops it (or Ctrl-C does).

    Each poll re-reads ``lookback_ms`` before the newest line seen, because CloudWatch Logs
    ingests events late and out of order across streams; lines already shown are dropped.
    """
    names = SystemNames(rt.config.project, rt.config.name)
    if query.item_id and executions is None:
        executions = item_executions(rt, names, query.item_id)
    start = int((rt.wall_clock() - query.since_seconds) * 1000)
    cursors = {source: _Cursor(start) for source in query.sources}
    pause = low = FOLLOW_MIN_SECONDS[rt.emulated]
    while True:
        batch: list[LogLine] = []
        for source, cursor in cursors.items():
            group = names.log_group(source)
            batch.extend(_poll(rt, source, group, cursor, query, executions, lookback_ms))
        batch.sort(key=_order)
        yield batch
        pause = low if batch else min(pause * 2, FOLLOW_MAX_SECONDS)
        rt.sleep(pause)


def _poll(rt: Runtime, source: str, group: str, cursor: _Cursor, query: LogQuery,
          executions: frozenset[str] | None, lookback_ms: int) -> list[LogLine]:  # fmt: skip
    shown: list[LogLine] = []
    newest = cursor.start
    for event in rt.logs.events(group, cursor.start):
        newest = max(newest, event.timestamp)
        if event.event_id in cursor.seen:
            continue
        cursor.seen[event.event_id] = event.timestamp
        reader = cursor.readers.setdefault(
            event.stream, StreamReader(query.item_id, executions or frozenset())
        )
        shown.extend(reader.feed(parse(source, event)))
    cursor.start = max(cursor.start, newest - lookback_ms)
    cursor.seen = {k: t for k, t in cursor.seen.items() if t >= cursor.start}
    return [line for line in shown if line.error] if query.errors_only else shown
