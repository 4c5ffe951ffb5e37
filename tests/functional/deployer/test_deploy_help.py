"""`--help` teaches: what the tool does, envs, a session, exit codes, an example per command."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from deployer.cli import cli
from deployer.errors import ExitCode

COMMANDS = [
    "validate",
    "package",
    "up",
    "plan",
    "destroy",
    "status",
    "send",
    "logs",
    "trace",
    "items",
    "redrive",
]


def help_text(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def test_group_help_lists_every_exit_code_with_its_meaning() -> None:
    text = help_text()

    table = dict(re.findall(r"^    ([0-9]+) +(.+)$", text, flags=re.MULTILINE))
    assert sorted(int(code) for code in table) == [int(code) for code in ExitCode]
    assert "no-op" in table["0"] and "bug" in table["1"]
    assert "config" in table["2"] and "emulator" in table["2"]
    assert "pre-flight" in table["3"] and "failed" in table["4"] and "timeout" in table["5"]
    assert "Ctrl-C" in table["130"] and "CloudFormation carries on" in table["130"]


def test_group_help_explains_envs_and_a_typical_session() -> None:
    text = help_text()

    assert "local" in text and "emulator" in text and "deployer/environments/NAME.yaml" in text
    assert "CI set and no --env: refused (exit 2)" in text
    session = ["disa-deploy up ", 'disa-deploy send "hello"', "disa-deploy status ",
               "disa-deploy destroy --yes", "disa-deploy up --env dev --output json"]  # fmt: skip
    for line in session:
        assert line in text


def test_group_help_lists_every_command_with_a_one_line_summary() -> None:
    text = help_text()

    listed = dict(re.findall(r"^  (\w+) +(.+)$", text.split("Commands:")[1], flags=re.MULTILINE))
    assert sorted(listed) == sorted(COMMANDS)
    assert all(not summary.endswith("...") for summary in listed.values())  # not truncated


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_has_a_summary_a_paragraph_and_an_example(command: str) -> None:
    text = help_text(command)

    body = text.split("Options:")[0]
    paragraphs = [p for p in body.split("\n\n")[1:] if p.strip()]
    assert len(paragraphs) >= 3, body  # summary, explanation, examples
    examples = re.findall(rf"^    disa-deploy {command}\b.*$", body, flags=re.MULTILINE)
    assert examples, f"no example of `disa-deploy {command}` kept on its own line"
