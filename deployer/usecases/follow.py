"""``send``: write one message item the way a user would, then follow it to the end.

Works on any environment (on AWS it is the post-deploy smoke test). The item goes in with a
conditional PutItem of only ``id`` and ``message``, exactly what a user's application writes;
from then on the tool only reads it (strongly consistent GetItem), recording each status
change with the time it was seen, until a terminal status or the timeout. Every call goes
through the gateways (:class:`MessageTable`, :class:`StackGateway`); time and sleep are
injected; nothing here prints: the result carries the trail and the caller renders it.

The reads project :data:`FOLLOWED` and never ``message``: the deployer role may read only
these attributes (cft/deployer-role-stack.yaml), so CI never sees a message body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from deployer.errors import PreflightError
from deployer.gateways.cloudformation import StackGateway
from deployer.gateways.dynamodb import MessageTable

TERMINAL = frozenset({"Successful", "Failure", "Invalid", "Exhausted"})
TABLE_OUTPUT = "TableName"
POLL_SECONDS = 0.5
# What following reads of the item: never the message, so it never crosses the wire back.
# The deployer role may read only these attributes (cft/deployer-role-stack.yaml).
FOLLOWED = ("status", "reason", "execution", "sns_message_id", "updated_at")


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


def table_name_of(stacks: StackGateway, stack_name: str) -> str:
    """The messages table of the env, from the root stack's ``TableName`` output."""
    stack = stacks.describe(stack_name)
    if stack is None:
        raise PreflightError(
            f"stack {stack_name} not found: nothing to send to",
            hint="deploy it first with `disa-deploy up`",
        )
    if TABLE_OUTPUT not in stack.outputs:
        raise PreflightError(f"stack {stack_name} has no {TABLE_OUTPUT} output")
    return str(stack.outputs[TABLE_OUTPUT])


def send_message(
    table: MessageTable,
    stacks: StackGateway,
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
    name = table_name or table_name_of(stacks, stack_name)
    item_id = new_id()
    started = clock()
    table.put_new_message(name, item_id, message)
    trail = [TrailEntry("(written)", round(clock() - started, 3))]
    return follow(table, name, item_id, trail, started, clock, sleep, timeout, poll_seconds)


def follow(
    table: MessageTable,
    table_name: str,
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
        found = table.get_item(table_name, item_id, FOLLOWED)
        item = dict(found.values) if found is not None else {}
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
        table_name=table_name,
        status=item.get("status"),
        trail=tuple(trail),
        execution=item.get("execution"),
        sns_message_id=item.get("sns_message_id"),
        reason=item.get("reason"),
        seconds=round(clock() - started, 3),
        timed_out=item.get("status") not in TERMINAL,
    )


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
