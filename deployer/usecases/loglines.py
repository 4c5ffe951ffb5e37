"""What a DISA log line is: pure knowledge of the shapes Lambda and Step Functions write.

A function's log group holds, per invocation, Lambda's platform lines (``START RequestId:
…``, ``END RequestId: …``, ``REPORT RequestId: …``, ``INIT_START …``, ``… Task timed out
after …``), the runtime's own lines (``[ERROR] Type: message`` with the traceback, and
``[WARNING]\\t<time>\\t<request id>\\t…``), our handlers' JSON lines
(``code/python/disa_common/log.py``: ``time``, ``level``, ``event``, ``requestId``, ``id``,
``execution``; an event that a metric counts carries the metric's EMF fields too), EMF
metric lines (``_aws`` without an ``event``), and whatever else was printed. The state
machine's group holds Step Functions' execution events as JSON (``type``,
``execution_arn``, ``details``).

:class:`StreamReader` reads one log stream in order and decides which lines belong to one
item: its own lines (``id`` or one of its execution names), and the lines of the same
invocations that name no item at all (platform lines, tracebacks, a batch's summary), but
never a line about another item. A stream is one execution environment, which runs one
invocation at a time, so an invocation's lines lie between its START and its REPORT. It
also marks the lines of a traceback printed line by line as errors, like its first line.
No AWS calls here.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from deployer.gateways.logs import LogEvent

_PLATFORM = re.compile(r"^(START|END|REPORT) RequestId: (\S+)")
_PLATFORM_OTHER = re.compile(r"^(INIT_START|INIT_REPORT|RESTORE_START|RESTORE_REPORT|EXTENSION)")
_TIMED_OUT = re.compile(r"^\S+ (\S+) Task timed out after")
_RUNTIME = re.compile(r"^\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\]")
_REPORT_FAILED = re.compile(r"\bStatus: (error|timeout)\b")
_STATES_FAILED = ("Failed", "TimedOut", "Aborted")
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL"})


class Kind(enum.Enum):
    JSON = "json"  # a handler's JSON line
    METRIC = "metric"  # an EMF line
    PLATFORM = "platform"  # Lambda's START / END / REPORT / INIT_START / timeout lines
    RUNTIME = "runtime"  # the Python runtime's [LEVEL] lines (unhandled errors)
    STATES = "states"  # a Step Functions execution event
    TEXT = "text"  # anything else: prints, traceback lines


@dataclass(frozen=True)
class LogLine:
    source: str  # init, process, retry or states
    group: str
    stream: str
    timestamp: int  # epoch milliseconds
    event_id: str
    message: str
    kind: Kind
    fields: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    item_id: str | None = None
    execution: str | None = None
    error: bool = False

    @property
    def tagged(self) -> bool:
        """True when the line names an item (by key or execution)."""
        return bool(self.item_id or self.execution)

    def names(self, item_id: str, executions: frozenset[str]) -> bool:
        return self.item_id == item_id or (self.execution or "") in executions

    def as_dict(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp,
            "source": self.source,
            "group": self.group,
            "stream": self.stream,
            "kind": self.kind.value,
            "request_id": self.request_id,
            "item_id": self.item_id,
            "execution": self.execution,
            "error": self.error,
            "message": self.message,
        }


def parse(source: str, event: LogEvent) -> LogLine:
    line = LogLine(source, event.group, event.stream, event.timestamp, event.event_id,
                   event.message, Kind.TEXT)  # fmt: skip
    text = event.message
    if text.startswith("{"):
        document = _json(text)
        if document is not None:
            return _from_json(line, document)
    return _from_text(line, text)


def _json(text: str) -> dict[str, Any] | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _from_json(line: LogLine, doc: dict[str, Any]) -> LogLine:
    item = doc.get("id") if isinstance(doc.get("id"), str) else None
    execution = doc.get("execution") if isinstance(doc.get("execution"), str) else None
    if "execution_arn" in doc and "type" in doc:
        name = str(doc["execution_arn"]).rsplit(":", 1)[-1]
        failed = str(doc["type"]).endswith(_STATES_FAILED)
        return replace(line, kind=Kind.STATES, fields=doc, execution=name, error=failed)
    # A handler's event line may carry its metric (``_aws``): it reads as the event.
    kind = Kind.METRIC if "_aws" in doc and "event" not in doc else Kind.JSON
    level = str(doc.get("level", "")).upper()
    request = doc.get("requestId") if isinstance(doc.get("requestId"), str) else None
    return replace(line, kind=kind, fields=doc, request_id=request, item_id=item,
                   execution=execution, error=level in ERROR_LEVELS)  # fmt: skip


def _from_text(line: LogLine, text: str) -> LogLine:
    platform = _PLATFORM.match(text)
    if platform:
        failed = platform.group(1) == "REPORT" and bool(_REPORT_FAILED.search(text))
        return replace(line, kind=Kind.PLATFORM, request_id=platform.group(2), error=failed)
    timed_out = _TIMED_OUT.match(text)
    if timed_out:
        return replace(line, kind=Kind.PLATFORM, request_id=timed_out.group(1), error=True)
    if _PLATFORM_OTHER.match(text):
        return replace(line, kind=Kind.PLATFORM)
    runtime = _RUNTIME.match(text)
    if runtime:
        parts = text.split("\t")
        request = parts[2] if len(parts) > 3 and parts[2] else None
        failed = runtime.group(1) in ERROR_LEVELS or "Unhandled exception" in text
        return replace(line, kind=Kind.RUNTIME, request_id=request, error=failed)
    return replace(line, error=text.startswith("Traceback (most recent call last)"))


@dataclass
class StreamReader:
    """Reads one stream's lines in order; keeps those of one item's invocations (or all)."""

    item_id: str | None = None
    executions: frozenset[str] = frozenset()
    request: str | None = None  # the invocation being read, as far as it is known
    ours: bool = False  # the invocation being read handles our item
    held: list[LogLine] = field(default_factory=list)  # its untagged lines, until we know
    traceback: bool = False  # inside a traceback printed line by line

    def feed(self, line: LogLine) -> list[LogLine]:
        """The lines to show now (held lines come out once their invocation proves ours)."""
        line = self._mark_traceback(line)
        if self.item_id is None:
            return [line]
        starts = line.kind is Kind.PLATFORM and line.message.startswith("START")
        other = line.kind is Kind.JSON and line.request_id not in (None, self.request)
        if starts or other:
            self._begin(line.request_id)
        return self._keep(line)

    @property
    def idle(self) -> bool:
        """No invocation of our item is open: what follows cannot belong to one read so far."""
        return not self.ours

    def _keep(self, line: LogLine) -> list[LogLine]:
        if line.tagged:
            if not line.names(self.item_id or "", self.executions):
                return []
            self.ours, held, self.held = True, self.held, []
            return [*held, line]
        shown = [line] if self.ours else []
        if not self.ours:
            self.held.append(line)
        if line.kind is Kind.PLATFORM and line.message.startswith("REPORT"):
            self._begin(None)  # the invocation is over
        return shown

    def _begin(self, request: str | None) -> None:
        self.request, self.ours, self.held = request, False, []

    def _mark_traceback(self, line: LogLine) -> LogLine:
        if line.kind is not Kind.TEXT:
            self.traceback = False
            return line
        if line.error:
            self.traceback = True
            return line
        return replace(line, error=True) if self.traceback else line
