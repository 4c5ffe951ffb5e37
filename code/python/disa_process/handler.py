"""disa_process: claim an item for this execution run and publish its message to SNS.

Called by the state machine's Process task with {"id", "run", "attempt", "execution"}.
Order matters: the circuit breaker first (an open circuit defers without touching the
item), then a conditional claim that also returns the message, then the publish. The
state machine records the outcome; this function never writes a final status, so a late
or duplicate invocation cannot overwrite one. Failures are raised as named exceptions
(disa_common.errors) that the ASL's Catch matches.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from disa_common import clients, log, model
from disa_common.aws import AWS_ERRORS, CONDITION_FAILED, error_code, has_code, iso_now
from disa_common.errors import ClaimConflictError, InvalidRequestError, PublishError
from disa_common.settings import Settings

from .circuit import OPEN, CircuitBreaker, alarm_reader

__all__ = ["ClaimConflictError", "InvalidRequestError", "PublishError", "lambda_handler"]


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    log.configure("disa_process", settings.log_level, getattr(context, "aws_request_id", None))
    settings.require("table_name", "topic_arn")
    request = parse_request(event)
    return process_message(request, settings, container_breaker(settings))


@dataclass(frozen=True)
class Request:
    id: str
    run: int
    attempt: int
    execution: str


def parse_request(event: Any) -> Request:
    """The Process task's payload, checked; InvalidRequestError names what is wrong."""
    if not isinstance(event, dict):
        raise InvalidRequestError("payload is not an object")
    key = event.get("id")
    if not isinstance(key, str) or not key:
        raise InvalidRequestError("id must be a non-empty string")
    run, attempt = _positive(event, "run"), _positive(event, "attempt")
    execution = event.get("execution")
    if not isinstance(execution, str) or not execution:
        execution = model.execution_name(key, run)
    return Request(key, run, attempt, execution)


def _positive(event: dict[str, Any], name: str) -> int:
    value = event.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"{name} must be a positive integer")
    return value


def process_message(
    request: Request,
    settings: Settings,
    breaker: CircuitBreaker,
    ddb: Any = None,
    sns: Any = None,
) -> dict[str, Any]:
    """Defer, or claim and publish; returns the result the state machine's Choice reads."""
    if breaker.is_open():
        log.info("circuit open, deferred", id=request.id, execution=request.execution)
        _metric("Deferred", settings, request)
        return {"outcome": "deferred", "alarmState": OPEN}
    message = claim(ddb or clients.get("dynamodb"), settings, request)
    message_id = publish(sns or clients.get("sns"), settings, request, message)
    return {"outcome": "published", "messageId": message_id}


def claim(ddb: Any, settings: Settings, request: Request) -> str:
    """Mark the item Processing for this run and return its message.

    Allowed from a fresh item, or from Retrying/Processing of the same run (a retried
    Process task re-claims its own item). Anything else belongs to another run or is
    finished: ClaimConflictError, and the state machine ends without writing.
    """
    try:
        answer = ddb.update_item(
            TableName=settings.table_name,
            Key={model.KEY: {"S": request.id}},
            UpdateExpression=(
                "SET #status = :processing, #run = :run, #attempts = :attempt,"
                " #execution = :execution, #updated = :now REMOVE #shard, #next"
            ),
            # attribute_exists(id): a deleted item is not re-created as a stub.
            ConditionExpression=(
                "attribute_exists(#id) AND (attribute_not_exists(#status)"
                " OR (#status IN (:retrying, :processing) AND #run = :run))"
            ),
            ExpressionAttributeNames={
                "#id": model.KEY,
                "#status": model.STATUS,
                "#run": model.RUN,
                "#attempts": model.ATTEMPTS,
                "#execution": model.EXECUTION,
                "#updated": model.UPDATED_AT,
                "#shard": model.RETRY_SHARD,
                "#next": model.NEXT_ATTEMPT_AT,
            },
            ExpressionAttributeValues={
                ":processing": {"S": model.Status.PROCESSING.value},
                ":retrying": {"S": model.Status.RETRYING.value},
                ":run": {"N": str(request.run)},
                ":attempt": {"N": str(request.attempt)},
                ":execution": {"S": request.execution},
                ":now": {"S": iso_now()},
            },
            ReturnValues="ALL_NEW",
        )
    except AWS_ERRORS as err:
        if has_code(err, CONDITION_FAILED):
            log.info("claim refused", id=request.id, execution=request.execution, run=request.run)
            raise ClaimConflictError(f"item not claimable by run {request.run}") from None
        raise
    message = answer.get("Attributes", {}).get(model.MESSAGE, {}).get("S")
    if not isinstance(message, str) or not message:
        raise InvalidRequestError("claimed item has no string message")
    log.info("claimed", id=request.id, execution=request.execution, attempt=request.attempt)
    return message


def publish(sns: Any, settings: Settings, request: Request, message: str) -> str:
    """Publish with the item key as the ``disa_id`` attribute; PublishError on any failure."""
    try:
        answer = sns.publish(
            TopicArn=settings.topic_arn,
            Message=message,
            MessageAttributes={
                model.MESSAGE_ATTRIBUTE_KEY: {"DataType": "String", "StringValue": request.id}
            },
        )
    except AWS_ERRORS as err:
        code = error_code(err)
        log.error("publish failed", id=request.id, execution=request.execution, error=code)
        _metric("PublishFailures", settings, request)
        # The code only: botocore's message could quote request parameters.
        raise PublishError(code) from None
    message_id = str(answer["MessageId"])
    log.info("published", id=request.id, execution=request.execution, messageId=message_id)
    _metric("PublishSuccesses", settings, request)
    return message_id


def _metric(name: str, settings: Settings, request: Request) -> None:
    log.metric(
        name,
        settings.metric_namespace,
        settings.environment,
        id=request.id,
        execution=request.execution,
    )


# One breaker per container: its cache is what bounds alarm reads by time.
_breaker: CircuitBreaker | None = None
_breaker_key: tuple[str, float] | None = None
clock: Callable[[], float] = time.monotonic


def container_breaker(settings: Settings) -> CircuitBreaker:
    global _breaker, _breaker_key
    key = (settings.circuit_alarm_name, settings.alarm_cache_seconds)
    if _breaker is None or _breaker_key != key:
        reader = alarm_reader(lambda: clients.get("cloudwatch"), settings.circuit_alarm_name)
        _breaker = CircuitBreaker(reader, settings.alarm_cache_seconds, clock)
        _breaker_key = key
    return _breaker


def reset_container(new_clock: Callable[[], float] = time.monotonic) -> None:
    """Forget the cached alarm state and use ``new_clock`` from now on (tests)."""
    global _breaker, _breaker_key, clock
    _breaker, _breaker_key, clock = None, None, new_clock
