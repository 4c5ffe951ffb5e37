"""``send``: write one message item the way a user would, then follow it to the end.

Works on any environment (on AWS it is the post-deploy smoke test). The item goes in with a
conditional PutItem of only ``id`` and ``message``, exactly what a user's application writes;
from then on the tool only reads it (strongly consistent GetItem), recording each status
change with the time it was seen, until a terminal status or the timeout. Time and sleep are
injected; nothing here prints: the result carries the trail and the caller renders it.

The reads project :data:`FOLLOWED_ATTRIBUTES` and never ``message``: the deployer role may
read only these attributes (cft/deployer-role-stack.yaml), so CI never sees a message body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from deployer.errors import PreflightError

TERMINAL = frozenset({"Successful", "Failure", "Invalid", "Exhausted"})
FOLLOWED_ATTRIBUTES = ("status", "reason", "execution", "updated_at", "sns_message_id")
TABLE_OUTPUT = "TableName"
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class TrailEntry:
    status: str  # "(written)" for the write itself, then each status seen
    seconds: float  # since the write started
    reason: str | None = None
    execution: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class SendResult:
    item_id: str
    table_name: str
    status: str | None  # the last status seen (None: nothing processed the item)
    trail: tuple[TrailEntry, ...]
    execution: str | None = None
    sns_message_id: str | None = None
    reason: str | None = None
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status == "Successful"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["succeeded"] = self.succeeded
        return data


def table_name_of(cloudformation_client: Any, stack_name: str) -> str:
    """The messages table of the env, from the root stack's ``TableName`` output."""
    try:
        stacks = cloudformation_client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as err:
        raise PreflightError(
            f"stack {stack_name} not found: nothing to send to",
            hint="deploy it first with `disa-deploy up`",
        ) from err
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if TABLE_OUTPUT not in outputs:
        raise PreflightError(f"stack {stack_name} has no {TABLE_OUTPUT} output")
    return str(outputs[TABLE_OUTPUT])


def send_message(
    dynamodb_client: Any,
    cloudformation_client: Any,
    stack_name: str,
    message: str,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    timeout: float = 60.0,
    poll_seconds: float = POLL_SECONDS,
    table_name: str | None = None,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> SendResult:
    """Write ``{id, message}`` and follow the item until a terminal status or ``timeout``."""
    table = table_name or table_name_of(cloudformation_client, stack_name)
    item_id = new_id()
    started = clock()
    dynamodb_client.put_item(
        TableName=table,
        Item={"id": {"S": item_id}, "message": {"S": message}},
        ConditionExpression="attribute_not_exists(id)",
    )
    trail = [TrailEntry("(written)", round(clock() - started, 3))]
    return follow(dynamodb_client, table, item_id, trail, started, clock, sleep, timeout,
                  poll_seconds)  # fmt: skip


def follow(
    dynamodb_client: Any,
    table: str,
    item_id: str,
    trail: list[TrailEntry],
    started: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    timeout: float,
    poll_seconds: float,
) -> SendResult:
    """Poll the item, noting each status change, until it is terminal or time is up."""
    item: dict[str, Any] = {}
    while True:
        item = _read(dynamodb_client, table, item_id)
        entry = _entry(item, round(clock() - started, 3))
        if entry is not None and entry.status != trail[-1].status:
            trail.append(entry)
        status = item.get("status")
        elapsed = clock() - started
        if status in TERMINAL or elapsed >= timeout:
            break
        sleep(poll_seconds)
    return SendResult(
        item_id=item_id,
        table_name=table,
        status=item.get("status"),
        trail=tuple(trail),
        execution=item.get("execution"),
        sns_message_id=item.get("sns_message_id"),
        reason=item.get("reason"),
        seconds=round(clock() - started, 3),
        timed_out=item.get("status") not in TERMINAL,
    )


def _read(dynamodb_client: Any, table: str, item_id: str) -> dict[str, Any]:
    names = {f"#a{i}": name for i, name in enumerate(FOLLOWED_ATTRIBUTES)}
    answer = dynamodb_client.get_item(
        TableName=table,
        Key={"id": {"S": item_id}},
        ConsistentRead=True,
        ProjectionExpression=", ".join(names),
        ExpressionAttributeNames=names,
    )
    return {name: next(iter(value.values())) for name, value in answer.get("Item", {}).items()}


def _entry(item: dict[str, Any], seconds: float) -> TrailEntry | None:
    if not item.get("status"):
        return None
    return TrailEntry(
        status=str(item["status"]),
        seconds=seconds,
        reason=item.get("reason"),
        execution=item.get("execution"),
        updated_at=item.get("updated_at"),
    )
