"""JSON-line logs and CloudWatch Embedded Metric Format (EMF) lines on stdout.

Every line is one JSON object, so CloudWatch Logs Insights can filter on ``id`` (the item
key) and ``execution`` (the Step Functions execution name), the two correlation ids. The
rule this module keeps: a message body is never written. Callers pass ids and decisions
only, and a field named like the item's body attribute is dropped here as a last guard.

EMF lines become metrics without a PutMetricData call per message: CloudWatch extracts
them from the function's log group.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from disa_common import model

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}
_FORBIDDEN_FIELDS = frozenset({model.MESSAGE, "body", "Message"})
_write_lock = threading.Lock()
_context: dict[str, Any] = {"level": 20}


def configure(function: str, level: str = "INFO", request_id: str | None = None) -> None:
    """Set the fields every line of this invocation carries (one invocation per container)."""
    _context["function"] = function
    _context["level"] = _LEVELS.get(level.upper(), 20)
    _context["requestId"] = request_id


def debug(event: str, **fields: Any) -> None:
    _log(10, "DEBUG", event, fields)


def info(event: str, **fields: Any) -> None:
    _log(20, "INFO", event, fields)


def warning(event: str, **fields: Any) -> None:
    _log(30, "WARNING", event, fields)


def error(event: str, **fields: Any) -> None:
    _log(40, "ERROR", event, fields)


def metric(name: str, namespace: str, environment: str, *, event: str, level: str = "INFO",
           **fields: Any) -> None:  # fmt: skip
    """Write ``event`` at ``level`` as one line that is also an EMF metric: ``name`` = 1 in
    ``namespace`` with dimension Environment. One line, not an event line and a metric line:
    each event that a metric counts is logged once (log bytes are billed per message). When
    the configured level hides the event, the line is the metric alone, as a metric must
    be written whatever the level."""
    shown = _LEVELS.get(level, 20) >= _context["level"]
    line = _header(level, event) if shown else {}
    line["_aws"] = {
        "Timestamp": int(time.time() * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": namespace,
                "Dimensions": [["Environment"]],
                "Metrics": [{"Name": name, "Unit": "Count"}],
            }
        ],
    }
    line.update({"Environment": environment, name: 1})
    line.update(_clean(fields))
    _write(line)


def _header(level: str, event: str) -> dict[str, Any]:
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "event": event,
        "function": _context.get("function"),
        "requestId": _context.get("requestId"),
    }


def _log(levelno: int, level: str, event: str, fields: dict[str, Any]) -> None:
    if levelno < _context["level"]:
        return
    line = _header(level, event)
    line.update(_clean(fields))
    _write(line)


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k not in _FORBIDDEN_FIELDS and v is not None}


def _write(line: dict[str, Any]) -> None:
    text = json.dumps(line, default=str, separators=(",", ":")) + "\n"
    # Worker threads log too; one write per line under a lock keeps lines whole.
    with _write_lock:
        sys.stdout.write(text)
        sys.stdout.flush()
