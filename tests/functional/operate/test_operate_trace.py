"""``trace ID``: attributes without the body, every run's execution, schedule, log lines."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from typing import Any

from operate_world import (
    ROOT_TEMPLATE,
    Cli,
    Logs,
    client,
    put_failed,
    put_item,
    run_name,
    start_execution,
)

BODY = "the secret body: card 4111-1111-1111-1111"


def trace_json(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("trace", *args, "--env", "dev", "--output", "json")
    assert result.exit_code == 0, result.output
    assert BODY not in result.stdout + result.stderr
    return dict(json.loads(result.stdout)["details"]["trace"])


def test_a_successful_item_shows_its_execution_message_id_and_logs(cli: Cli, logs: Logs) -> None:
    name = start_execution("ok-1", 1)
    put_item("ok-1", "Successful", message=BODY, run=1, attempts=1, execution=name,
             sns_message_id="sns-123", updated_at="2025-01-01T00:00:01.000Z")  # fmt: skip
    logs.invocation("process", [{"event": "published", "id": "ok-1", "execution": name}])

    result = cli("trace", "ok-1", "--env", "dev")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert BODY not in out + result.stderr
    size, digest = len(BODY.encode()), hashlib.sha256(BODY.encode()).hexdigest()
    assert f"Message: S, {size} bytes, sha256 {digest}" in out
    assert "sns_message_id  sns-123" in out
    assert f"run 1: {name}: RUNNING" in out  # moto's executions stay RUNNING
    assert "A State" in out  # the states of its history
    assert "Retry schedule: published on attempt 1 of 5" in out
    assert "published id=ok-1" in out


def test_show_message_prints_the_body(cli: Cli) -> None:
    put_item("ok-1", "Successful", message=BODY, run=1, attempts=1)

    result = cli("trace", "ok-1", "--env", "dev", "--show-message")

    assert result.exit_code == 0, result.output
    assert f"Message text (--show-message):\n{BODY}" in result.stdout


def test_attributes_disa_does_not_own_are_shown_by_size_only(cli: Cli) -> None:
    put_item("ok-1", "Successful", message=BODY, customer_email="ann@example.com", run=1)

    data = trace_json(cli, "ok-1")

    assert "ann@example.com" not in json.dumps(data)
    assert data["others"]["customer_email"]["size"] == len("ann@example.com")
    assert data["attributes"]["status"] == "Successful"
    assert "message" not in data["attributes"] and "message_text" not in data


def test_every_run_is_traced_and_a_run_that_never_started_is_said(cli: Cli) -> None:
    now = int(time.time())
    cli.edge = replace(cli.edge, wall_clock=lambda: float(now))
    start_execution("f-1", 1)  # run 2 was claimed by disa_retry but never started
    put_failed("f-1", attempts=1, updated_at="2025-01-01T00:00:05.000Z", run=2,
               status="Retrying", due=now + 600)  # fmt: skip

    data = trace_json(cli, "f-1")

    runs = [(r["run"], r["name"], r["execution"] is not None) for r in data["runs"]]
    assert runs == [(1, run_name("f-1", 1), True), (2, run_name("f-1", 2), False)]
    result = cli("trace", "f-1", "--env", "dev")
    assert "run 2: " + run_name("f-1", 2) + ": no such execution" in result.stdout
    assert "run 2 claimed by disa_retry; lease at " in result.stdout
    assert "(in 10m 0s)" in result.stdout


def test_a_failed_item_says_when_it_is_due_and_what_comes_next(cli: Cli) -> None:
    start_execution("f-1", 1)
    put_failed("f-1", attempts=5, updated_at="2025-01-01T00:00:05.000Z",
               due=int(time.time()) - 30)  # fmt: skip

    result = cli("trace", "f-1", "--env", "dev")

    line = next(x for x in result.stdout.splitlines() if x.startswith("Retry schedule:"))
    assert "5 of 5 attempts used; due at " in line
    assert " ago), then marked Exhausted by disa_retry" in line


def test_an_execution_the_item_names_otherwise_is_traced_too(cli: Cli) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:disa-dev-state-machine"
    from operate_world import client

    client("stepfunctions").start_execution(stateMachineArn=arn, name="custom-name", input="{}")
    put_item("x-1", "Processing", run=1, attempts=1, execution="custom-name")

    data = trace_json(cli, "x-1")

    assert [r["name"] for r in data["runs"]] == [run_name("x-1", 1), "custom-name"]
    assert data["runs"][1]["execution"]["status"] == "RUNNING"


def test_runs_are_named_for_the_request_the_item_holds_now(cli: Cli) -> None:
    # After an overwrite the item carries a new request token; its runs' executions are
    # named for that token, not for the request it replaced.
    start_execution("o-1", 1)  # the first request's run (named from the key)
    start_execution("o-1", 1, request="0123456789ab")
    put_item("o-1", "Processing", run=1, attempts=1, request="0123456789ab")

    data = trace_json(cli, "o-1")

    assert [(r["name"], r["execution"] is not None) for r in data["runs"]] == [
        (run_name("o-1", 1, "0123456789ab"), True)
    ]


def test_an_unknown_id_exits_2_with_a_clear_message(cli: Cli) -> None:
    result = cli("trace", "nope", "--env", "dev")

    assert result.exit_code == 2
    assert "error: no item with id 'nope' in table disa-dev-messages" in result.stderr
    assert "`disa-deploy items`" in result.stderr


def test_only_the_newest_runs_are_traced(cli: Cli) -> None:
    put_item("deferred-often", "Failure", run=25, attempts=1)

    data = trace_json(cli, "deferred-often")

    assert [r["run"] for r in data["runs"]] == list(range(6, 26))
    assert data["runs_omitted"] == 5
    assert "(runs 1-5 not shown: only the newest are traced)" in cli(
        "trace", "deferred-often", "--env", "dev").stdout  # fmt: skip


def test_an_item_without_executions_still_shows_its_log_lines(cli: Cli, logs: Logs) -> None:
    logs.t0 -= 6 * 3600 * 1000  # six hours ago: within a day
    logs.invocation("init", [{"event": "item invalid", "id": "bad-1", "reason": "EmptyMessage"}])
    put_item("bad-1", "Invalid", message="", reason="EmptyMessage")

    data = trace_json(cli, "bad-1")

    assert data["runs"] == []
    events = [json.loads(line["message"]).get("event") for line in data["logs"]["lines"]
              if line["kind"] == "json"]  # fmt: skip
    assert events == ["item invalid"]


def test_without_a_stack_there_is_nothing_to_trace(cli: Cli) -> None:
    from operate_world import client

    client("cloudformation").delete_stack(StackName="disa-dev")

    result = cli("trace", "x", "--env", "dev")

    assert result.exit_code == 3
    assert "stack disa-dev not found: nothing deployed" in result.stderr


def test_a_role_that_may_not_read_bodies_gets_the_owned_attributes_and_a_note(cli: Cli) -> None:
    from botocore.stub import ANY, Stubber

    from deployer.gateways.aws import AwsTarget, Clients, make_clients

    stubbers: list[Stubber] = []

    def factory(target: AwsTarget) -> Clients:
        clients = make_clients(target)
        stubber = Stubber(clients.dynamodb)
        stubber.add_client_error("get_item", "AccessDeniedException", "not authorized",
                                 expected_params={"TableName": "disa-dev-messages",
                                                  "Key": {"id": {"S": "ok-1"}},
                                                  "ConsistentRead": True})  # fmt: skip
        owned = {"TableName": "disa-dev-messages", "Key": {"id": {"S": "ok-1"}},
                 "ConsistentRead": True, "ProjectionExpression": ANY,
                 "ExpressionAttributeNames": ANY}  # fmt: skip
        answer = {"Item": {"id": {"S": "ok-1"}, "status": {"S": "Successful"}}}
        stubber.add_response("get_item", answer, owned)
        stubber.activate()
        stubbers.append(stubber)
        return clients

    result = cli("trace", "ok-1", "--env", "dev", edge=replace(cli.edge, make_clients=factory))

    assert result.exit_code == 0, result.output
    assert "Message: not read (this role may read only the attributes DISA owns)" in result.stdout
    assert "status  Successful" in result.stdout
    (stubber,) = stubbers
    stubber.assert_no_pending_responses()  # both reads were made, in that order


def test_an_express_environment_names_its_runs_and_asks_step_functions_nothing(
    cli: Cli, logs: Logs
) -> None:
    express = {**ROOT_TEMPLATE, "Parameters": {
        **ROOT_TEMPLATE["Parameters"], "WorkflowType": {"Type": "String", "Default": "STANDARD"},
    }}  # fmt: skip
    client("cloudformation").update_stack(
        StackName="disa-dev",
        TemplateBody=json.dumps(express),
        Parameters=[{"ParameterKey": "MaxAttempts", "ParameterValue": "5"},
                    {"ParameterKey": "WorkflowType", "ParameterValue": "EXPRESS"}],
    )  # fmt: skip
    name = start_execution("ok-1", 1)  # moto would describe it; AWS keeps no Express history
    owner = f"arn:aws:states:us-east-1:123456789012:express:disa-dev-state-machine:{name}:u-1"
    put_item("ok-1", "Successful", message=BODY, run=1, attempts=1, execution=name,
             owner=owner, sns_message_id="sns-123")  # fmt: skip
    logs.invocation("process", [{"event": "published", "id": "ok-1", "execution": name}])

    result = cli("trace", "ok-1", "--env", "dev")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"run 1: {name}: an Express execution; Step Functions keeps no history of it" in out
    assert "RUNNING" not in out and "A State" not in out  # no DescribeExecution, no history
    assert f"owner           {owner}" in out  # DISA's own attribute, shown, not by size
    assert "published id=ok-1" in out
    assert trace_json(cli, "ok-1")["runs"][0]["express"] is True
