"""Every exit is one a user or a pipeline can act on: one JSON document on stdout with
``--output json`` (usage errors and Ctrl-C included), exit 130 on Ctrl-C with the words
that say what CloudFormation carries on with, and the command's options as documented.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from deploy_harness import Cli, FakeClock

from deployer.wiring import Edge

pytestmark = pytest.mark.usefixtures("aws")


def one_document(result: Result) -> dict[str, object]:
    document = json.loads(result.stdout)  # raises unless stdout is exactly one JSON value
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize(
    ("case", "args", "needle"),
    [
        ("unknown option", ["up", "--env", "dev", "--nope"], "No such option '--nope'"),
        ("bad duration", ["up", "--timeout", "soon"], "is not a duration"),
        ("bad choice", ["status", "--count-limit", "-1"], "-1"),
        ("unknown command", ["deploy"], "No such command 'deploy'"),
        ("option of another command", ["status", "--parameter", "A=1"], "--parameter"),
    ],
)
def test_a_usage_error_gives_one_json_document_and_exit_2(
    run: Cli, case: str, args: list[str], needle: str
) -> None:
    result = run(*args, "--output", "json")

    summary = one_document(result)
    assert result.exit_code == 2 and summary["exit_code"] == 2
    assert needle in str(summary["error"])
    assert "Usage:" in result.stderr  # the usual help for people stays on stderr


def test_a_usage_error_in_text_mode_leaves_stdout_empty(run: Cli) -> None:
    result = run("up", "--nope")

    assert result.exit_code == 2 and result.stdout == ""


def test_the_json_document_names_the_command_and_env_of_a_refused_line(run: Cli) -> None:
    summary = one_document(run("up", "--env=dev", "--output=json", "--nope"))

    assert (summary["command"], summary["env"]) == ("up", "dev")


def interrupted_after(operation: str, clock: FakeClock) -> Edge:
    """An edge whose first AWS call after ``operation`` meets Ctrl-C."""
    from deployer.gateways.aws import AwsTarget, Clients, make_clients

    seen: list[str] = []

    def hook(service: str, name: str) -> None:
        if operation in seen:
            raise KeyboardInterrupt
        seen.append(name)

    def factory(target: AwsTarget) -> Clients:
        return make_clients(target, on_call=hook)

    return Edge(make_clients=factory, clock=clock, sleep=clock.sleep)


def test_ctrl_c_during_up_exits_130_and_says_what_carries_on(
    project: Path, clock: FakeClock
) -> None:
    run = Cli(project, interrupted_after("ExecuteChangeSet", clock), env={"CI": ""})

    result = run("up", "--env", "dev", "--output", "json")

    summary = one_document(result)
    assert result.exit_code == 130 and summary["exit_code"] == 130
    assert summary["error"] == "interrupted"
    assert "CloudFormation carries on" in result.stderr
    assert "follow it: disa-deploy status --env dev" in result.stderr
    assert "aws cloudformation describe-stack-events --stack-name disa-dev" in result.stderr
    assert "bug" not in result.stderr


def test_ctrl_c_at_the_destroy_prompt_exits_130(project: Path, clock: FakeClock) -> None:
    import click

    def prompt(question: str) -> bool:
        raise click.Abort

    run = Cli(project, Edge(clock=clock, sleep=clock.sleep, confirm=lambda: prompt),
              env={"CI": ""})  # fmt: skip
    assert run("up", "--env", "dev").exit_code == 0

    result = run("destroy", "--env", "dev")

    assert result.exit_code == 130, result.output
    assert "interrupted (Ctrl-C)" in result.stderr


def test_ctrl_c_during_a_read_only_command_says_nothing_was_started(
    project: Path, clock: FakeClock
) -> None:
    def clients(target: object) -> object:
        raise KeyboardInterrupt

    run = Cli(project, Edge(make_clients=clients, clock=clock), env={"CI": ""})  # type: ignore[arg-type]

    result = run("status", "--env", "dev", "--output", "json")

    assert result.exit_code == 130 and one_document(result)["exit_code"] == 130
    assert "nothing was started in CloudFormation" in result.stderr


def test_send_without_a_message_is_refused(run: Cli) -> None:
    result = run("send", "--env", "dev", "--output", "json")

    assert result.exit_code == 2
    assert "exactly one message" in str(one_document(result)["error"])


def test_send_with_a_file_that_does_not_exist_is_refused(run: Cli, tmp_path: Path) -> None:
    result = run("send", "--env", "dev", "--file", str(tmp_path / "missing.txt"))

    assert result.exit_code == 2
    assert "no such file" in result.stderr


@pytest.mark.parametrize(("command", "default"), [("up", "60m"), ("destroy", "60m"),
                                                  ("send", "2m")])  # fmt: skip
def test_every_timeout_is_a_duration_with_its_default_shown(
    run: Cli, command: str, default: str
) -> None:
    text = run(command, "--help", defaults=False).stdout

    assert "--timeout DURATION" in text
    assert f"[default: {default}]" in text


def test_ctrl_c_before_a_command_runs_still_gives_one_json_document(
    run: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deployer.cli.app import DisaGroup

    def interrupted(*args: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(DisaGroup, "resolve_command", interrupted)

    result = run("status", "--env", "dev", "--output", "json")

    assert result.exit_code == 130 and one_document(result)["exit_code"] == 130
    assert "interrupted (Ctrl-C): nothing was started" in result.stderr


def test_ctrl_c_while_the_env_loads_says_nothing_was_started(
    run: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr("deployer.cli.app._load", interrupted)

    result = run("up", "--env", "dev")

    assert result.exit_code == 130
    assert "nothing was started: the environment was not loaded yet" in result.stderr
