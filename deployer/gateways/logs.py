"""CloudWatch Logs gateway: log events of one group as plain values, one page at a time.

Only ``FilterLogEvents``: it reads every stream of a group (or the streams named) in a time
window, optionally narrowed by a filter pattern on the server, and pages with a token.
Callers iterate lazily, so a reader that has found what it needs stops paging (and stops
paying for calls). A group that does not exist yet (a function never invoked on the
emulator, a state machine that never logged) is an empty group, not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from deployer.gateways.base import aws_errors, error_code

# FilterLogEvents returns at most 10,000 events (1 MB) a page; the default is the maximum.
PAGE_LIMIT = 10_000


@dataclass(frozen=True)
class LogEvent:
    group: str
    stream: str
    timestamp: int  # epoch milliseconds, as the event was written
    message: str
    event_id: str


class LogGateway:
    def __init__(self, client: Any) -> None:
        self.client = client

    def events(
        self,
        group: str,
        start_ms: int,
        end_ms: int | None = None,
        pattern: str = "",
        streams: Sequence[str] = (),
        on_missing: Callable[[str], None] | None = None,
    ) -> Iterator[LogEvent]:
        """Events of ``group`` from ``start_ms`` (to ``end_ms``), oldest first within a page.

        A group that does not exist yields nothing (and is passed to ``on_missing``).
        """
        request: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
        if end_ms is not None:
            request["endTime"] = end_ms
        if pattern:
            request["filterPattern"] = pattern
        if streams:
            request["logStreamNames"] = list(streams)
        token: str | None = None
        while True:
            page = self._page(request, token)
            if page is None:
                if on_missing is not None:
                    on_missing(group)
                return
            for raw in page.get("events", []):
                yield _event(group, raw)
            token = page.get("nextToken")
            if not token:
                return

    def _page(self, request: dict[str, Any], token: str | None) -> dict[str, Any] | None:
        extra = {"nextToken": token} if token else {}
        try:
            with aws_errors(f"read log group {request['logGroupName']}"):
                page: dict[str, Any] = self.client.filter_log_events(**request, **extra)
        except Exception as err:
            if _group_missing(err):
                return None
            raise
        return page


def _event(group: str, raw: dict[str, Any]) -> LogEvent:
    return LogEvent(
        group=group,
        stream=str(raw.get("logStreamName", "")),
        timestamp=int(raw.get("timestamp", 0)),
        message=str(raw.get("message", "")).rstrip("\n"),
        event_id=str(raw.get("eventId", "")),
    )


def _group_missing(err: Exception) -> bool:
    cause = err.__cause__
    client_error = isinstance(cause, botocore.exceptions.ClientError)
    return client_error and error_code(cause) == "ResourceNotFoundException"
