"""Every operate command calls exactly what the table of tool calls lists, and no more.

Each command is run against moto with botocore's before-call hook recording every call;
runs together cover every path (``logs --id``, ``items`` through the index and through a
scan). The deployer role is checked against the same table (tests/unit/operate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from operate_world import Cli, Logs, Processing, client, put_failed, put_item, start_execution

from deployer.gateways.aws import AwsTarget, Clients, make_clients
from tests.support.tool_calls import ITEM_READS, ITEM_WRITES, OWNED, TOOL_CALLS, iam_action

Reads = set[tuple[str, frozenset[str] | None]]


def projected(params: dict[str, Any]) -> frozenset[str] | None:
    """The attributes a DynamoDB read asks for (None for the whole item), or an update
    names (with the key)."""
    if "UpdateExpression" in params:
        return frozenset({"id", *params.get("ExpressionAttributeNames", {}).values()})
    request = params
    if "RequestItems" in params:  # BatchGetItem: one table's keys and projection
        (request,) = params["RequestItems"].values()
    expression = request.get("ProjectionExpression")
    if expression is None:
        return None
    aliases = request.get("ExpressionAttributeNames", {})
    return frozenset(aliases.get(n.strip(), n.strip()) for n in expression.split(","))


def recording(cli: Cli, calls: set[str], reads: Reads | None = None) -> Callable[..., object]:
    def on_dynamodb(params: dict[str, Any], model: Any, **_: Any) -> None:
        if reads is not None and model.name in ("GetItem", "Scan", "BatchGetItem", "Query",
                                                "UpdateItem"):  # fmt: skip
            reads.add((iam_action("dynamodb", model.name), projected(params)))

    def factory(target: AwsTarget) -> Clients:
        clients = make_clients(target, on_call=lambda s, op: calls.add(iam_action(s, op)))
        clients.dynamodb.meta.events.register("before-parameter-build.dynamodb", on_dynamodb)
        return clients

    def run(*args: str) -> None:
        edge = replace(cli.edge, make_clients=factory)
        if args[0] == "send":
            edge.sleep = Processing(edge)
        result = cli(*args, "--env", "dev", edge=edge)
        assert result.exit_code == 0, result.output

    return run


RUNS = {
    "status": [("status",)],
    "send": [("send", "hello")],
    "logs": [("logs",), ("logs", "--id", "m-1")],
    "trace": [("trace", "m-1")],
    "items": [("items", "--status", "Failure"), ("items", "--status", "Successful")],
    "redrive": [
        ("redrive", "--status", "Failure", "--yes"),
        ("redrive", "--status", "Exhausted", "--yes"),
        ("redrive", "--id", "m-1"),
    ],
}


@pytest.mark.parametrize("command", sorted(TOOL_CALLS))
def test_the_command_calls_exactly_the_table(cli: Cli, logs: Logs, command: str) -> None:
    for run in (1, 2):
        start_execution("m-1", run)
    put_failed("m-1", attempts=1, updated_at="2025-01-01T00:00:00.000Z", run=2)
    put_item("ok", "Successful", updated_at="2025-01-01T00:00:00.000Z")
    put_item("ex", "Exhausted", run=5, attempts=5, request="0123456789ab")
    logs.invocation("process", [{"event": "claimed", "id": "m-1"}])
    for queue in ("disa-dev-stream-dlq", "disa-dev-subscription-dlq"):
        client("sqs").create_queue(QueueName=queue)
    calls: set[str] = set()
    reads: Reads = set()
    run = recording(cli, calls, reads)

    for args in RUNS[command]:
        run(*args)

    assert calls == set(TOOL_CALLS[command])
    expected = {(action, None if attributes is None else frozenset(attributes))
                for (name, action), listed in ITEM_READS.items() if name == command
                for _, attributes in listed}  # fmt: skip
    expected |= {(action, frozenset(attributes or ()))
                 for (name, action), listed in ITEM_WRITES.items()
                 if name == command and action == "dynamodb:UpdateItem"
                 for _, attributes in listed}  # fmt: skip
    if command == "trace":  # the whole item; the owned attributes only when that is denied
        expected.discard(("dynamodb:GetItem", frozenset(OWNED)))
    assert reads == expected


def test_every_command_of_the_table_is_an_operate_command() -> None:
    assert set(TOOL_CALLS) == set(RUNS)
