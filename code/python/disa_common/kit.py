"""The handler kit: one entry wrapper, one dependency value, one conditional update.

Every handler is ``lambda_handler = entry(name, required_settings, body)``; ``body(event,
context, deps)`` does the work. ``entry`` reads the settings (on every invocation, so a
changed environment is seen at once), configures the JSON log, fails loudly on a missing
required setting, and hands ``body`` a ``Deps``: the settings plus the container's clients,
clocks and cache. The third, optional argument of a lambda_handler is the Container to use
(the process's own by default); tests pass theirs.

``update_item`` is the only way a handler writes a status. A failed condition is a named
outcome (``Write.applied`` is False: someone else moved the item first); every other error
(throttling, AccessDenied, a 5xx, a transport error) is raised unchanged, so it can never
pass for "already handled" and leave an item without a status.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from disa_common import log, model
from disa_common.aws import CONDITION_FAILED, error_code, iso_now
from disa_common.container import Container
from disa_common.settings import Settings

T = TypeVar("T")

# The process's own container: what a Lambda container keeps between invocations.
PROCESS_CONTAINER = Container()


@dataclass(frozen=True)
class Deps:
    """What a handler's body may use: settings, clients, time, randomness, the cache."""

    settings: Settings
    container: Container

    @property
    def ddb(self) -> Any:
        return self.container.client("dynamodb")

    @property
    def sfn(self) -> Any:
        return self.container.client("stepfunctions")

    @property
    def sns(self) -> Any:
        return self.container.client("sns")

    @property
    def cloudwatch(self) -> Any:
        return self.container.client("cloudwatch")

    def clock(self) -> float:
        return self.container.clock()

    def monotonic(self) -> float:
        return self.container.monotonic()

    def rand(self) -> float:
        return self.container.rand()

    def now_iso(self) -> str:
        return iso_now(self.container.clock)


Body = Callable[[Any, Any, Deps], T]


@dataclass(frozen=True)
class LambdaHandler(Generic[T]):
    """A Lambda entry point: ``handler(event, context[, container])``."""

    function: str
    required: tuple[str, ...]
    body: Body[T]

    def __call__(self, event: Any, context: Any, container: Container | None = None) -> T:
        settings = Settings.from_env()
        log.configure(self.function, settings.log_level, getattr(context, "aws_request_id", None))
        settings.require(*self.required)
        return self.body(event, context, Deps(settings, container or PROCESS_CONTAINER))


def entry(function: str, required: tuple[str, ...], body: Body[T]) -> LambdaHandler[T]:
    return LambdaHandler(function, required, body)


# One vocabulary of placeholders for every expression the handlers write.
NAMES = {
    "#id": model.KEY,
    "#message": model.MESSAGE,
    "#status": model.STATUS,
    "#owner": model.OWNER,
    "#run": model.RUN,
    "#attempts": model.ATTEMPTS,
    "#reason": model.REASON,
    "#shard": model.RETRY_SHARD,
    "#next": model.NEXT_ATTEMPT_AT,
    "#execution": model.EXECUTION,
    "#mid": model.SNS_MESSAGE_ID,
    "#request": model.REQUEST,
    "#updated": model.UPDATED_AT,
}
_NAME = re.compile(r"#\w+")


@dataclass(frozen=True)
class Write:
    """The outcome of a conditional write: applied (with any returned attributes) or not."""

    applied: bool
    attributes: Mapping[str, Any] = field(default_factory=dict)


REFUSED = Write(False)


def update_item(
    deps: Deps,
    item_key: str,
    update: str,
    condition: str,
    values: Mapping[str, Any],
    returns: str = "NONE",
) -> Write:
    """One conditional UpdateItem on the item ``item_key``; REFUSED if the condition failed.

    ``#name`` placeholders come from NAMES (only those used are sent: DynamoDB rejects
    unused ones). Any error but the failed condition is raised as it came.
    """
    used = set(_NAME.findall(update + " " + condition))
    try:
        answer = deps.ddb.update_item(
            TableName=deps.settings.table_name,
            Key={model.KEY: {"S": item_key}},
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames={alias: NAMES[alias] for alias in sorted(used)},
            ExpressionAttributeValues=dict(values),
            ReturnValues=returns,
        )
    except ClientError as err:
        if error_code(err) == CONDITION_FAILED:
            return REFUSED
        raise
    return Write(True, answer.get("Attributes", {}))


def s(value: str) -> dict[str, str]:
    """A string attribute value."""
    return {"S": value}


def n(value: int) -> dict[str, str]:
    """A number attribute value."""
    return {"N": str(value)}
