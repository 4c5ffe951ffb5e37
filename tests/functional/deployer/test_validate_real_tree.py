"""On the real tree: env names follow the templates' own rule, schedules are parsed.

The expectations are read from the real root template's ``Env`` declaration, so these tests
hold the tool to the templates (not to a copy of their limits) and keep passing when the
templates' rule changes; the last test changes the rule in a copy of the tree and shows the
tool follows it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from deploy_harness import CallLog, FakeClock, counting_edge

from deployer.cfn.template import load_template
from deployer.cli import cli
from deployer.config.project import Project

pytestmark = pytest.mark.usefixtures("aws")

REPO = Path(__file__).resolve().parents[3]
ROOT_ENV = load_template(Project(REPO).root_template.read_text())["Parameters"]["Env"]
ACCOUNT = 'region: eu-west-1\naccount_id: "123456789012"\n'


def refused_by_template(name: str, pattern: str, max_length: int) -> bool:
    return re.fullmatch(pattern, name) is None or len(name) > max_length


def invoke(command: str, project: Path, config_dir: Path, env: str, log: CallLog) -> Result:
    (config_dir / f"{env}.yaml").write_text(ACCOUNT)
    args = [command, "--env", env, "--project-dir", str(project), "--config-dir", str(config_dir)]
    return CliRunner().invoke(cli, args, obj=counting_edge(FakeClock(), log), env={"CI": ""})


def test_the_root_template_limits_the_env_name() -> None:
    assert "MaxLength" in ROOT_ENV and "AllowedPattern" in ROOT_ENV


@pytest.mark.parametrize(
    ("case", "name"),
    [
        ("longer than the template allows", "a" * (int(ROOT_ENV["MaxLength"]) + 1)),
        ("with a dash", "ab-c"),
        ("upper case", "Dev"),
    ],
)
def test_an_env_name_is_refused_before_any_aws_call_exactly_when_the_templates_refuse_it(
    tmp_path: Path, case: str, name: str
) -> None:
    log = CallLog()
    refused = refused_by_template(name, ROOT_ENV["AllowedPattern"], int(ROOT_ENV["MaxLength"]))

    result = invoke("up" if refused else "validate", REPO, tmp_path, name, log)

    assert log.calls == []
    if refused:
        assert result.exit_code == 2, result.output
        assert re.search(rf"^{re.escape(str(tmp_path))}/{name}\.yaml: error DISA-PARAM env name "
                         rf"'{name}' .*parameter Env of cft/disa-root-stack\.yaml:\d+",
                         result.stdout, flags=re.M), result.stdout  # fmt: skip
    else:
        assert result.exit_code == 0, result.output
        assert "env name" not in result.stdout


def test_a_changed_template_rule_is_followed_without_a_change_to_the_tool(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for folder in ("cft", "code", "state-machine"):
        shutil.copytree(REPO / folder, project / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for template in (project / "cft").rglob("*.yaml"):
        text = template.read_text()
        template.write_text(re.sub(r'(\n  Env:\n    Type: String\n    AllowedPattern: )"[^"]*"',
                                   r'\1"^[a-z][a-z0-9]*$"', text))  # fmt: skip
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    log = CallLog()

    result = invoke("up", project, config_dir, "ab-c", log)

    assert result.exit_code == 2, result.output
    assert log.calls == []
    assert "env name 'ab-c' does not match AllowedPattern ^[a-z][a-z0-9]*$" in result.stdout


@pytest.mark.parametrize(
    ("case", "schedule", "needle"),
    [
        ("zero", "rate(0 minutes)", "the value must be at least 1"),
        ("plural for one", "rate(1 minutes)", "EventBridge requires rate(1 minute)"),
        ("not six fields", "cron(x)", "expected six fields"),
    ],
)
def test_a_schedule_eventbridge_would_refuse_is_refused(
    tmp_path: Path, case: str, schedule: str, needle: str
) -> None:
    (tmp_path / "dev.yaml").write_text(ACCOUNT)
    args = ["validate", "--env", "dev", "--project-dir", str(REPO), "--config-dir", str(tmp_path),
            "--parameter", f"RetrySchedule={schedule}"]  # fmt: skip

    result = CliRunner().invoke(cli, args, env={"CI": ""})

    assert result.exit_code == 2, result.output
    finding = next(line for line in result.stdout.splitlines() if "DISA-SCHEDULE" in line)
    assert finding.startswith("command line: error DISA-SCHEDULE --parameter RetrySchedule")
    assert needle in finding and "RetryScheduleRule" in finding


# --- the serverless rule set ---------------------------------------------------------------

SNS = "cft/nested-stacks/sns-stack.yaml"
LAMBDA = "cft/nested-stacks/lambda-function-stack.yaml"


def copy_of_the_tree(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for folder in ("cft", "code", "state-machine"):
        shutil.copytree(REPO / folder, project / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    return project


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_real_tree_is_clean_under_cfn_lint_and_the_serverless_rules(tmp_path: Path) -> None:
    (tmp_path / "dev.yaml").write_text(ACCOUNT)
    args = ["validate", "--env", "dev", "--project-dir", str(REPO), "--config-dir", str(tmp_path)]

    result = CliRunner().invoke(cli, args, env={"CI": ""})

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("validate: ok ("), result.stdout  # not even a warning


def test_a_subscription_without_a_dead_letter_queue_is_refused_before_any_aws_call(
    tmp_path: Path,
) -> None:
    project = copy_of_the_tree(tmp_path)
    redrive = "      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt SubscriptionDlq.Arn\n"
    replace_once(project / SNS, "Endpoint: !Ref SubscriberEmail\n" + redrive,
                 "Endpoint: !Ref SubscriberEmail\n")  # fmt: skip
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    log = CallLog()

    result = invoke("up", project, config_dir, "dev", log)

    assert result.exit_code == 2, result.output
    assert log.calls == []
    findings = [line for line in result.stdout.splitlines() if " ES7000 " in line]
    assert len(findings) == 1, result.stdout
    assert re.match(rf"{re.escape(SNS)}:\d+:\d+: error ES7000 .*MessagesSubscription", findings[0])


def test_a_serverless_warning_is_listed_with_its_rule_id_once_its_reasoned_ignore_is_gone(
    tmp_path: Path,
) -> None:
    # The log groups are linked to the functions by name, which WS1004 does not recognise;
    # each function says so in its own Metadata, and only that silences the rule.
    project = copy_of_the_tree(tmp_path)
    replace_once(project / LAMBDA, "ignore_checks: [WS1004]", "ignore_checks: []")
    (tmp_path / "dev.yaml").write_text(ACCOUNT)
    args = [
        "validate",
        "--env",
        "dev",
        "--project-dir",
        str(project),
        "--config-dir",
        str(tmp_path),
    ]

    result = CliRunner().invoke(cli, args, env={"CI": ""})

    assert result.exit_code == 0, result.output
    (finding,) = [line for line in result.stdout.splitlines() if " WS1004 " in line]
    assert re.match(rf"{re.escape(LAMBDA)}:\d+:\d+: warning WS1004 .*InitProcessFunction", finding)
    assert "validate: ok, 1 warning" in result.stdout
