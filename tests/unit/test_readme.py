"""The README is the contract users read: its commands, exit codes and statuses must be real."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from disa_common.model import Status

from deployer.cli import cli
from deployer.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CODE_BLOCKS = re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def _commands() -> list[list[str]]:
    commands = []
    for block in CODE_BLOCKS:
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words[:1] == ["disa-deploy"]:
                    commands.append(words[1:])
    return commands


DOCUMENTED = _commands()


def test_readme_documents_every_command() -> None:
    assert {words[0] for words in DOCUMENTED} == set(cli.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("words", DOCUMENTED, ids=[" ".join(w) for w in DOCUMENTED])
def test_readme_command_line_is_accepted_by_the_cli(words: list[str]) -> None:
    command = cli.commands[words[0]]  # type: ignore[attr-defined]
    with click.Context(cli) as parent:
        command.make_context(words[0], words[1:], parent=parent)


@pytest.mark.parametrize("name", sorted(cli.commands))  # type: ignore[attr-defined]
def test_every_command_is_run_by_some_test(name: str) -> None:
    # Commands are run through CliRunner harnesses as ("name", "--env", ...) argument lists.
    pattern = re.compile(rf"""[(,]\s*["']{name}["']\s*,""")
    runners = [
        path
        for folder in ("functional", "e2e")
        for path in (ROOT / "tests" / folder).rglob("test_*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert runners, f"no test runs `disa-deploy {name}`"


def test_exit_code_table_matches_the_tool() -> None:
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, flags=re.M))
    assert sorted(int(code) for code in rows) == sorted(code.value for code in ExitCode)


def test_status_table_names_every_status() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", README, flags=re.M))
    assert {status.value for status in Status} <= documented


def test_ci_runs_the_readme_test_command() -> None:
    test_command = next(block for block in CODE_BLOCKS if "pytest" in block).strip()
    pytest_part = test_command.split("&&")[-1].strip()
    assert pytest_part in (ROOT / ".ci" / "run").read_text()
    assert "'.[test]'" in (ROOT / ".ci" / "run").read_text()
