"""Every operate command calls exactly what the table of tool calls lists, and no more.

Each command is run against moto with botocore's before-call hook recording every call;
runs together cover every path (``logs --id``, ``items`` through the index and through a
scan). The deployer role is checked against the same table (tests/unit/operate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from operate_world import Cli, Logs, Processing, put_failed, put_item, start_execution

from deployer.gateways.aws import AwsTarget, Clients, make_clients
from tests.support.tool_calls import TOOL_CALLS, iam_action


def recording(cli: Cli, calls: set[str]) -> Callable[..., object]:
    def factory(target: AwsTarget) -> Clients:
        return make_clients(target, on_call=lambda s, op: calls.add(iam_action(s, op)))

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
}


@pytest.mark.parametrize("command", sorted(TOOL_CALLS))
def test_the_command_calls_exactly_the_table(cli: Cli, logs: Logs, command: str) -> None:
    for run in (1, 2):
        start_execution("m-1", run)
    put_failed("m-1", attempts=1, updated_at="2025-01-01T00:00:00.000Z", run=2)
    put_item("ok", "Successful", updated_at="2025-01-01T00:00:00.000Z")
    logs.invocation("process", [{"event": "claimed", "id": "m-1"}])
    calls: set[str] = set()
    run = recording(cli, calls)

    for args in RUNS[command]:
        run(*args)

    assert calls == set(TOOL_CALLS[command])


def test_every_command_of_the_table_is_an_operate_command() -> None:
    assert set(TOOL_CALLS) == set(RUNS)
