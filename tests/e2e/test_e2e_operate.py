"""Operating the deployed system on the emulator: trace, logs, items, status, a real Ctrl-C.

Every command runs through the real CLI against the session's emulator. ``logs`` reads
what the functions really wrote to the emulator's log groups (/aws/lambda/<function>), so
a handler's traceback after a forced publish failure is found by the item's id although
the traceback itself names no item.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from deployer.cli import cli
from tests.e2e.support import System

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def disa(system: System, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(
        cli, [*args, "--env", "local", "--project-dir", str(ROOT)], obj=system.edge
    )
    assert result.exit_code == code, result.output
    return result


def document(result: Result) -> dict[str, Any]:
    return dict(json.loads(result.stdout))


def send(system: System, message: str, code: int = 0) -> dict[str, Any]:
    sent = document(disa(system, "send", message, "--timeout", "30", "--output", "json",
                         code=code))  # fmt: skip
    return dict(sent["details"]["send"])


def set_topic(system: System, topic: str) -> str:
    """Point disa_process at ``topic``; returns the topic it used before."""
    aws_lambda = system.client("lambda")
    config = aws_lambda.get_function_configuration(FunctionName="disa-local-process")
    variables = {k: str(v) for k, v in config["Environment"]["Variables"].items()}
    before, variables["TOPIC_ARN"] = variables["TOPIC_ARN"], topic
    aws_lambda.update_function_configuration(
        FunctionName="disa-local-process", Environment={"Variables": variables}
    )
    return before


@pytest.fixture
def broken_topic(system: System) -> Iterator[None]:
    saved = set_topic(system, system.outputs["TopicArn"] + "-does-not-exist")
    try:
        yield
    finally:
        set_topic(system, saved)


def test_trace_of_a_successful_item_shows_its_execution_and_sns_message_id(
    system: System,
) -> None:
    sent = send(system, "trace me")

    trace = document(disa(system, "trace", sent["item_id"], "--output", "json"))

    data = trace["details"]["trace"]
    assert data["attributes"]["sns_message_id"] == sent["sns_message_id"]
    (run,) = data["runs"]
    assert run["name"] == sent["execution"]
    assert run["execution"]["status"] == "SUCCEEDED"
    assert [step["state"] for step in run["steps"]] == ["Process", "RouteOutcome",
                                                        "RecordSuccess"]  # fmt: skip
    assert data["message"]["size"] == len("trace me")
    assert "trace me" not in json.dumps(trace)  # the body stays out of tool output
    logged = {json.loads(line["message"]).get("event")
              for line in data["logs"]["lines"] if line["kind"] == "json"}  # fmt: skip
    assert {"execution started", "claimed", "published"} <= logged


def test_logs_of_an_item_include_its_handlers_traceback_after_a_forced_failure(
    system: System, broken_topic: None
) -> None:
    failed = send(system, "fail me", code=4)
    assert failed["status"] == "Failure"

    lines = document(disa(system, "logs", "--id", failed["item_id"], "--output", "json"))[
        "details"]["logs"]["lines"]  # fmt: skip

    messages = [line["message"] for line in lines]
    assert any(json.loads(m).get("event") == "publish failed" for m in messages
               if m.startswith("{"))  # fmt: skip
    # One event per line, or Lambda's one multi-line [ERROR] event: either shape will do.
    start = next(i for i, m in enumerate(messages) if "Traceback (most recent call last)" in m)
    assert any("PublishError" in m for m in messages[start:])
    named = {json.loads(m).get("id") for m in messages if m.startswith("{")} - {None}
    assert named == {failed["item_id"]}  # never another item's line
    errors = document(disa(system, "logs", "--id", failed["item_id"], "--errors",
                           "--output", "json"))["details"]["logs"]["lines"]  # fmt: skip
    assert any("Traceback (most recent call last)" in line["message"] for line in errors)


def put(system: System, key: str, status: str, updated_at: str) -> None:
    """An item written with its status (the stream's init_process leaves it alone)."""
    item = {"id": {"S": key}, "message": {"S": "x"}, "status": {"S": status},
            "updated_at": {"S": updated_at}, "run": {"N": "1"}, "attempts": {"N": "1"}}  # fmt: skip
    if status == "Failure":  # in the retry index, due in an hour: no retry touches it here
        item["retry_shard"] = {"S": "0"}
        item["next_attempt_at"] = {"N": str(int(time.time()) + 3600)}
    system.client("dynamodb").put_item(TableName=system.outputs["TableName"], Item=item)


def test_items_with_status_failure_lists_exactly_the_failed_items(system: System) -> None:
    prefix = f"e2e-items-{uuid.uuid4().hex[:8]}"
    failed = [f"{prefix}-failed-{i}" for i in range(3)]
    for i, key in enumerate(failed):
        put(system, key, "Failure", f"2030-01-01T00:00:0{i}.000Z")
    put(system, f"{prefix}-sent", "Successful", "2030-01-01T00:00:09.000Z")

    listed = document(disa(system, "items", "--status", "Failure", "--output", "json"))
    successful = document(disa(system, "items", "--status", "Successful", "--output", "json"))

    ours = [row["id"] for row in listed["details"]["items"]["rows"] if row["id"].startswith(prefix)]
    assert ours == failed[::-1]  # newest first
    assert listed["details"]["items"]["source"] == "retry-index"
    assert all(row["status"] == "Failure" for row in listed["details"]["items"]["rows"])
    assert f"{prefix}-sent" in [row["id"] for row in successful["details"]["items"]["rows"]]


def test_the_dashboard_is_deployed_and_status_gives_no_console_url_locally(
    system: System,
) -> None:
    name = system.outputs["DashboardUrl"].rsplit("=", 1)[-1]

    body = json.loads(system.client("cloudwatch").get_dashboard(DashboardName=name)[
        "DashboardBody"])  # fmt: skip
    status = disa(system, "status")

    assert name == "disa-local"
    assert {widget["type"] for widget in body["widgets"]} == {"text", "metric", "alarm"}
    assert "Dashboard:" not in status.stdout


def test_a_real_ctrl_c_stops_logs_follow_with_exit_130(system: System) -> None:
    send(system, "something to follow")
    command = [sys.executable, "-c", "from deployer.cli import main; main()",
               "logs", "--env", "local", "--follow",
               "--endpoint-url", system.endpoint, "--project-dir", str(ROOT)]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CI": ""}
    follower = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        first = follower.stdout.readline() if follower.stdout else ""  # a line: it follows
        assert first.strip(), "logs --follow printed nothing"
        follower.send_signal(signal.SIGINT)
        _, err = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 130, err
    assert "stopped (Ctrl-C) after" in err and "Traceback" not in err
