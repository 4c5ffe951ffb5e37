"""``no changes`` only when the deployed template, every parameter value (defaults included),
the tags and termination protection equal what would be deployed; anything else deploys.
On moto with the emulator's patches (``aws``); the parameter round trip is in
test_deploy_moto.py, protection in test_termination_protection.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deploy_harness import HANDLER_V2, CallLog, Cli, FakeClock, counting_edge

pytestmark = pytest.mark.usefixtures("aws")


def up(run: Cli, clock: FakeClock, *extra: str) -> tuple[dict[str, object], CallLog]:
    log = CallLog()
    result = run("up", "--env", "dev", "--output", "json", *extra, edge=counting_edge(clock, log))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), log


def test_a_changed_handler_is_deployed(run: Cli, clock: FakeClock, project: Path) -> None:
    up(run, clock)
    (project / "code" / "python" / "disa_retry" / "handler.py").write_text(HANDLER_V2)

    summary, log = up(run, clock)

    assert summary["changed"] is True and log.count("ExecuteChangeSet") == 1


def test_changed_tags_are_deployed(run: Cli, clock: FakeClock, project: Path) -> None:
    up(run, clock)
    config = project / "config" / "dev.yaml"
    config.write_text(config.read_text().replace("team: messaging", "team: payments"))

    summary, log = up(run, clock)

    assert log.count("ExecuteChangeSet") == 1
    assert summary["details"]["plan"]["tags"] == [  # type: ignore[index]
        {"name": "team", "old": "messaging", "new": "payments", "touches": []}
    ]
    again, _ = up(run, clock)
    assert again["changed"] is False


def test_a_no_echo_parameter_is_never_judged_unchanged_by_the_tool(
    run: Cli, clock: FakeClock, project: Path
) -> None:
    # DescribeStacks masks a NoEcho value, so only CloudFormation can compare it: the tool
    # always asks (a change set) and says "no changes" only when CloudFormation does.
    root = project / "cft" / "disa-root-stack.yaml"
    root.write_text(root.read_text().replace(
        "\nResources:", "\n  ApiToken: {Type: String, NoEcho: true, Default: none}\nResources:",
        1))  # fmt: skip
    up(run, clock, "--parameter", "ApiToken=first")

    changed, changed_log = up(run, clock, "--parameter", "ApiToken=second")
    same, same_log = up(run, clock, "--parameter", "ApiToken=second")

    assert changed["changed"] is True and changed_log.count("ExecuteChangeSet") == 1
    assert same["changed"] is False and same_log.count("CreateChangeSet") == 1
    assert same_log.count("ExecuteChangeSet") == 0
