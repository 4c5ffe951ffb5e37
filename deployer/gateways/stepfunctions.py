"""Step Functions gateway: one execution's summary and its history, as plain values.

Executions are looked up by ARN (``DescribeExecution``), never found by listing: Step
Functions' ``ListExecutions`` has no name filter, so finding an item's executions by listing
would page through every execution of the state machine. ``ExecutionDoesNotExist`` (a run
whose start failed, or history past its retention) becomes ``None``. Inputs and outputs are
not copied into the values: the tool never shows them, so nothing in them can leak.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import botocore.exceptions

from deployer.gateways.base import aws_errors, error_code


@dataclass(frozen=True)
class ExecutionInfo:
    arn: str
    name: str
    status: str  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE
    started: datetime
    stopped: datetime | None = None
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True)
class HistoryEvent:
    event_id: int
    type: str  # e.g. TaskStateEntered, LambdaFunctionFailed, ExecutionSucceeded
    timestamp: datetime
    state: str | None = None  # the state a *StateEntered/*StateExited event names
    error: str | None = None  # the error of a *Failed / *TimedOut event
    cause: str | None = None


class ExecutionGateway:
    def __init__(self, client: Any) -> None:
        self.client = client

    def describe(self, arn: str) -> ExecutionInfo | None:
        try:
            with aws_errors(f"describe execution {arn}"):
                raw = self.client.describe_execution(executionArn=arn)
        except Exception as err:
            if _execution_missing(err):
                return None
            raise
        return ExecutionInfo(
            arn=arn,
            name=str(raw.get("name", arn.rsplit(":", 1)[-1])),
            status=str(raw.get("status", "")),
            started=raw["startDate"],
            stopped=raw.get("stopDate"),
            error=raw.get("error"),
            cause=raw.get("cause"),
        )

    def history(self, arn: str) -> Iterator[HistoryEvent]:
        """Every event of the execution, oldest first, paged 1,000 at a time."""
        token: str | None = None
        while True:
            extra = {"nextToken": token} if token else {}
            with aws_errors(f"read history of {arn}"):
                page = self.client.get_execution_history(
                    executionArn=arn, maxResults=1000, includeExecutionData=False, **extra
                )
            yield from (_history_event(raw) for raw in page.get("events", []))
            token = page.get("nextToken")
            if not token:
                return


def _history_event(raw: dict[str, Any]) -> HistoryEvent:
    found = next((v for k, v in raw.items() if k.endswith("EventDetails")), None)
    details: dict[str, Any] = found if isinstance(found, dict) else {}
    return HistoryEvent(
        event_id=int(raw.get("id", 0)),
        type=str(raw.get("type", "")),
        timestamp=raw["timestamp"],
        state=details.get("name") if str(raw.get("type", "")).endswith(_STATE_EVENTS) else None,
        error=details.get("error"),
        cause=_short_cause(details.get("cause")),
    )


_STATE_EVENTS = ("StateEntered", "StateExited")


def _short_cause(cause: Any) -> str | None:
    """A Lambda error's cause is its JSON error document: keep only type and message."""
    if not isinstance(cause, str) or not cause:
        return None
    try:
        document = json.loads(cause)
    except ValueError:
        return cause[:300]
    if isinstance(document, dict) and "errorMessage" in document:
        return f"{document.get('errorType', '')}: {document.get('errorMessage', '')}"[:300]
    return cause[:300]


def _execution_missing(err: Exception) -> bool:
    cause = err.__cause__
    client_error = isinstance(cause, botocore.exceptions.ClientError)
    return client_error and error_code(cause) == "ExecutionDoesNotExist"
