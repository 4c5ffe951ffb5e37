"""disa_process: claim an item for this execution and publish its message to SNS.

Called by the state machine's Process task with {"id", "request", "run", "attempt",
"execution", "owner"}. Order matters: the circuit breaker first (an open circuit defers
without touching the item), then a conditional claim that also returns the message, then
the publish. The claim makes this execution instance the item's owner (``owner``, its ARN:
an Express workflow may run one name twice, and only one of them may publish) and is a
lease: it puts the item in the retry index, due when the lease ends, so a run that dies
after its claim is re-driven by disa_retry; the status write takes it out. The state
machine records the outcome only while the claim holds, and this function never writes a
final status except ``Invalid`` for a message that can never be sent, so a late or
duplicate invocation cannot overwrite one. Failures are raised as named exceptions
(disa_common.errors) that the ASL's Catch matches; an AWS error of the claim is raised
as it came, so the Catch records a Failure (to be retried) instead of taking it for a
conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from disa_common import kit, log, model
from disa_common.aws import AWS_ERRORS, error_code
from disa_common.errors import ClaimConflictError, InvalidRequestError, PublishError
from disa_common.kit import Deps

from .circuit import OPEN, CircuitBreaker, alarm_reader

__all__ = ["ClaimConflictError", "InvalidRequestError", "PublishError", "lambda_handler"]


@dataclass(frozen=True)
class Request:
    id: str
    request: str
    run: int
    attempt: int
    execution: str
    owner: str

    @property
    def leased(self) -> bool:
        """Whether the claim is a lease: a definition that passes ``owner`` also takes the
        item out of the retry index when it records the outcome. One that does not (a
        state machine deployed before owners, still running) gets the old claim."""
        return self.owner != self.execution


def handle(event: Any, context: Any, deps: Deps) -> dict[str, Any]:
    return process_message(parse_request(event), deps)


lambda_handler = kit.entry("disa_process", ("table_name", "topic_arn"), handle)


def parse_request(event: Any) -> Request:
    """The Process task's payload, checked; InvalidRequestError names what is wrong.

    An execution started before request tokens existed has none: its token is the one
    its name was built with (model.legacy_token).
    """
    if not isinstance(event, dict):
        raise InvalidRequestError("payload is not an object")
    key = event.get("id")
    if not isinstance(key, str) or not key:
        raise InvalidRequestError("id must be a non-empty string")
    run, attempt = _positive(event, "run"), _positive(event, "attempt")
    token = event.get("request", model.legacy_token(key))
    if not isinstance(token, str) or not token:
        raise InvalidRequestError("request must be a non-empty string")
    execution = event.get("execution")
    if not isinstance(execution, str) or not execution:
        execution = model.execution_name(key, token, run)
    owner = event.get("owner")
    if not isinstance(owner, str) or not owner:
        owner = execution
    return Request(key, token, run, attempt, execution, owner)


def _positive(event: dict[str, Any], name: str) -> int:
    value = event.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"{name} must be a positive integer")
    return value


def process_message(request: Request, deps: Deps) -> dict[str, Any]:
    """Defer, or claim and publish; returns the result the state machine's Choice reads."""
    if container_breaker(deps).is_open():
        _metric("Deferred", deps, request, event="circuit open, deferred")
        return {"outcome": "deferred", "alarmState": OPEN}
    item = claim(deps, request)
    reason = model.invalid_reason(request.id, item)
    if reason:
        mark_invalid(deps, request, reason)
        return {"outcome": "invalid", "reason": reason.value}
    message_id = publish(deps, request, item[model.MESSAGE]["S"])
    return {"outcome": "published", "messageId": message_id}


# Claimable: a fresh item (no status: any execution may take it and sends what it holds);
# a Retrying item leased to this request's run; or an item this very execution instance
# already claimed (a retried Process task). Anything else belongs to another execution
# (another instance of the same name included) or is final.
CLAIMABLE = (
    "attribute_exists(#id) AND (attribute_not_exists(#status)"
    " OR (#status = :retrying AND #run = :run AND #request = :request)"
    " OR (#status = :processing AND #owner = :owner))"
)
OWNED = "#status = :processing AND #owner = :owner"
_CLAIM = (
    "SET #status = :processing, #run = :run, #attempts = :attempt, #request = :request,"
    " #execution = :execution, #owner = :owner, #updated = :now"
)


def claim(deps: Deps, request: Request) -> dict[str, Any]:
    """Make this execution the item's owner (Processing) and return the item.

    ClaimConflictError when the item is not claimable: the state machine then ends
    without writing. Any other error is raised as it came.
    """
    values = {
        ":processing": kit.s(model.Status.PROCESSING),
        ":retrying": kit.s(model.Status.RETRYING),
        ":run": kit.n(request.run),
        ":attempt": kit.n(request.attempt),
        ":request": kit.s(request.request),
        ":execution": kit.s(request.execution),
        ":owner": kit.s(request.owner),
        ":now": kit.s(deps.now_iso()),
    }
    if request.leased:
        settings = deps.settings
        update = _CLAIM + ", #shard = :shard, #next = :lease_end"
        values[":shard"] = kit.s(model.retry_shard(request.id, settings.retry_shards))
        values[":lease_end"] = kit.n(int(deps.clock()) + settings.retry_lease_seconds)
    else:
        update = _CLAIM + " REMOVE #shard, #next"
    write = kit.update_item(deps, request.id, update, CLAIMABLE, values, returns="ALL_NEW")
    if not write.applied:
        log.info("claim refused", id=request.id, execution=request.execution, run=request.run)
        raise ClaimConflictError(f"item not claimable by run {request.run}")
    log.info("claimed", id=request.id, execution=request.execution, attempt=request.attempt)
    return dict(write.attributes)


def mark_invalid(deps: Deps, request: Request, reason: model.InvalidReason) -> None:
    """The claimed item's message can never be sent (it was overwritten since the request
    was validated): Invalid, as disa_init_process would have marked it."""
    write = kit.update_item(
        deps,
        request.id,
        "SET #status = :invalid, #reason = :reason, #updated = :now REMOVE #shard, #next",
        OWNED,
        {
            ":invalid": kit.s(model.Status.INVALID),
            ":reason": kit.s(reason),
            ":processing": kit.s(model.Status.PROCESSING),
            ":owner": kit.s(request.owner),
            ":now": kit.s(deps.now_iso()),
        },
    )
    if not write.applied:
        raise ClaimConflictError("item taken over before it could be marked invalid")
    _metric("InvalidItems", deps, request, event="item invalid", level="WARNING",
            reason=reason.value)  # fmt: skip


def publish(deps: Deps, request: Request, message: str) -> str:
    """Publish with the item key as the ``disa_id`` attribute; PublishError on any failure."""
    try:
        answer = deps.sns.publish(
            TopicArn=deps.settings.topic_arn,
            Message=message,
            MessageAttributes={
                model.MESSAGE_ATTRIBUTE_KEY: {
                    "DataType": model.MESSAGE_ATTRIBUTE_TYPE,
                    "StringValue": request.id,
                }
            },
        )
    except AWS_ERRORS as err:
        code = error_code(err)
        _metric("PublishFailures", deps, request, event="publish failed", level="ERROR",
                error=code)  # fmt: skip
        # The code only: botocore's message could quote request parameters.
        raise PublishError(code) from None
    message_id = str(answer["MessageId"])
    _metric("PublishSuccesses", deps, request, event="published", messageId=message_id)
    return message_id


def _metric(name: str, deps: Deps, request: Request, *, event: str, level: str = "INFO",
            **fields: Any) -> None:  # fmt: skip
    settings = deps.settings
    log.metric(name, settings.metric_namespace, settings.environment, event=event,
               level=level, id=request.id, execution=request.execution, **fields)  # fmt: skip


def container_breaker(deps: Deps) -> CircuitBreaker:
    """The container's breaker for the configured alarm: its cache bounds alarm reads by
    time, so it lives as long as the container."""
    settings = deps.settings
    key = ("breaker", settings.circuit_alarm_name, settings.alarm_cache_seconds)
    return deps.container.keep(
        key,
        lambda: CircuitBreaker(
            alarm_reader(lambda: deps.cloudwatch, settings.circuit_alarm_name),
            settings.alarm_cache_seconds,
            deps.container.monotonic,
        ),
    )
