"""What one local invocation writes to CloudWatch Logs, in the shape Lambda writes it.

Pure: turns an :class:`~deployer.local.workers.Invocation` into log events
(``{"timestamp": epoch ms, "message": line}``), one event per line, for the function's log
group ``/aws/lambda/<function name>`` and the worker's stream
``YYYY/MM/DD/[$LATEST]<32 hex digits>`` (one per worker, as one per execution environment on
AWS). The rule it keeps: the lines a reader of Lambda's logs expects are there, in order:
what the handler printed at import (first invocation of a worker only), ``START RequestId: <id>
Version: $LATEST``, the handler's output (tracebacks included), Lambda's own
``<time> <id> Task timed out after N.00 seconds`` on a timeout, ``END RequestId: <id>`` and
``REPORT RequestId: <id>`` with duration, billed duration, memory size, max memory used and,
on a worker's first invocation, init duration, tab-separated.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from deployer.local.workers import Invocation, now_ms


def stream_name(version: str = "$LATEST", now: float | None = None) -> str:
    """A new execution environment's log stream name, as Lambda names them."""
    day = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return f"{day:%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


def invocation_events(
    invocation: Invocation, memory_mb: int, version: str = "$LATEST"
) -> list[dict[str, Any]]:
    rid = invocation.request_id
    end = now_ms()
    start = end - int(invocation.duration_ms)
    events = [_event(t, line) for t, line in invocation.init_output]
    events.append(_event(start, f"START RequestId: {rid} Version: {version}"))
    events += [_event(max(t, start), line) for t, line in invocation.output]
    if invocation.timed_out:
        stamp = datetime.fromtimestamp(end / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        timeout = invocation.outcome["error"]["errorMessage"]
        events.append(_event(end, f"{stamp}Z {rid} {timeout}"))
    events.append(_event(end, f"END RequestId: {rid}"))
    events.append(_event(end, report_line(invocation, memory_mb)))
    return events


def report_line(invocation: Invocation, memory_mb: int) -> str:
    used_mb = math.ceil(int(invocation.outcome.get("max_rss_kb", 0)) / 1024)
    fields = [
        f"REPORT RequestId: {invocation.request_id}",
        f"Duration: {invocation.duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(invocation.duration_ms)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {used_mb} MB",
    ]
    if invocation.init_ms is not None:
        fields.append(f"Init Duration: {invocation.init_ms:.2f} ms")
    return "\t".join(fields)


def tail_text(events: list[dict[str, Any]]) -> str:
    """The invocation's log as one text, for ``LogType=Tail`` and moto's contract."""
    return "\n".join(str(event["message"]) for event in events)


def _event(timestamp: int, message: str) -> dict[str, Any]:
    # CloudWatch Logs rejects empty messages; Lambda writes a blank line as a space-free "".
    return {"timestamp": timestamp, "message": message if message else " "}
