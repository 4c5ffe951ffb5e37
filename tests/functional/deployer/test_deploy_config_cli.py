"""Every config mistake stops the CLI with exit 2 and a message naming the file and key.

The shape of an env file is checked when it loads, by every command. Its values are checked
against the templates' declarations by validate and the gate (package/plan/up), each
finding naming the file, line and column of the value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deploy_harness import Cli

VALID = """\
region: us-east-1
account_id: "123456789012"
"""
PARAMS = VALID + "parameters:\n  "
ZEROS = 'region: us-east-1\naccount_id: "000000000000"\n'


@pytest.mark.parametrize(
    ("case", "text", "needle"),
    [
        ("unknown top-level key", VALID + "regoin: eu-west-1\n", "unknown key 'regoin'"),
        ("missing region", 'account_id: "123456789012"\n', "missing key 'region'"),
        ("missing account id", "region: us-east-1\n", "missing key 'account_id'"),
        ("placeholder account id", ZEROS, "'account_id'"),
        ("account id as a number", "region: us-east-1\naccount_id: 123456789012\n", "'account_id'"),
        ("account id too short", 'region: us-east-1\naccount_id: "1234"\n', "'account_id'"),
        ("bad region", 'region: europe\naccount_id: "123456789012"\n', "'region'"),
        ("protected not a bool", VALID + "protected: yes please\n", "'protected'"),
        ("bad stack name", VALID + "stack_name: 9lives\n", "'stack_name'"),
        ("bad endpoint", VALID + "endpoint_url: localhost:4566\n", "'endpoint_url'"),
        ("emulator port outside local", VALID + "emulator_port: 4599\n", "'emulator_port'"),
        ("tag value not a string", VALID + "tags:\n  cost: 12\n", "'tags.cost'"),
        ("reserved tag prefix", VALID + "tags:\n  disa:env: x\n", "'tags.disa:env'"),
        (
            "parameter not a single value",
            PARAMS + "MaxAttempts: [1, 2]\n",
            "'parameters.MaxAttempts'",
        ),  # fmt: skip
        ("not a mapping", "- region\n", "expected a mapping"),
        ("not yaml", "region: [unclosed\n", "not valid YAML: line 2, column 1:"),
        ("project not a name", VALID + "project: 12\n", "'project'"),
    ],
)
def test_config_errors_name_file_and_key(
    run: Cli, project: Path, case: str, text: str, needle: str
) -> None:
    (project / "config" / "broken.yaml").write_text(text)

    result = run("status", "--env", "broken")

    assert result.exit_code == 2, result.output
    error = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert str(project / "config" / "broken.yaml") in error
    assert needle in error


@pytest.mark.parametrize("env", ["../config/dev", "/etc/passwd", ".hidden"])
def test_an_env_name_that_is_not_a_plain_file_name_is_unknown(run: Cli, env: str) -> None:
    result = run("status", "--env", env)

    assert result.exit_code == 2
    assert f"unknown environment {env!r}" in result.stderr


def test_an_unknown_env_is_refused_listing_the_known_ones(run: Cli) -> None:
    result = run("up", "--env", "staging")

    assert result.exit_code == 2
    assert "unknown environment 'staging'" in result.stderr
    assert "staging.yaml does not exist" in result.stderr
    assert "known environments: dev, local, other, prod" in result.stderr


@pytest.mark.parametrize(
    ("case", "text", "line", "needle"),
    [
        ("unknown parameter", PARAMS + "Colour: red\n", 4, "declares no parameter Colour"),
        ("bad e-mail", PARAMS + "OpsEmail: nobody\n", 4, "does not match AllowedPattern"),
        ("bad schedule", PARAMS + "RetrySchedule: every 5m\n", 4, "AllowedPattern"),
        ("max attempts below", PARAMS + "MaxAttempts: 0\n", 4, "below MinValue 1"),
        ("max attempts above", PARAMS + "MaxAttempts: 101\n", 4, "above MaxValue 100"),
        ("not a number", PARAMS + "MaxAttempts: lots\n", 4, "is not a number"),
        ("bad retention", PARAMS + "LogRetentionDays: 8\n", 4, "not one of the AllowedValues"),
        ("bad boolean", PARAMS + "ProtectStatefulResources: maybe\n", 4, "AllowedValues"),
        ("set by the tool", PARAMS + "KmsKeyArn: arn\n", 4, "set by disa-deploy"),
        ("project too long", VALID + "project: abcdefghijklm\n", 3, "longer than MaxLength 12"),
        ("project pattern", VALID + "project: Disa\n", 3, "does not match AllowedPattern"),
    ],
)
def test_values_are_checked_against_the_templates_naming_file_and_line(
    run: Cli, project: Path, case: str, text: str, line: int, needle: str
) -> None:
    (project / "config" / "broken.yaml").write_text(text)

    result = run("validate", "--env", "broken")

    assert result.exit_code == 2, result.output
    finding = next(row for row in result.stdout.splitlines() if needle in row)
    assert finding.startswith(f"config/broken.yaml:{line}:"), finding
    assert "error DISA-" in finding


def test_every_bad_value_is_listed_not_only_the_first(run: Cli, project: Path) -> None:
    text = PARAMS + "MaxAttempts: 0\n  LogRetentionDays: 8\n  OpsEmail: nobody\n"
    (project / "config" / "broken.yaml").write_text(text)

    result = run("validate", "--env", "broken", "--output", "json")

    findings = json.loads(result.stdout)["details"]["findings"]
    assert result.exit_code == 2
    assert sorted(f["line"] for f in findings) == [4, 5, 6]


@pytest.mark.parametrize(
    ("case", "flag", "needle"),
    [
        ("unknown parameter flag", "--parameter=Colour=red", "declares no parameter Colour"),
        ("parameter without value", "--parameter=MaxAttempts", "expected KEY=VALUE"),
        ("bad parameter value", "--parameter=MaxAttempts=lots", "--parameter MaxAttempts"),
        ("bad region flag", "--region=mars", "--region"),
    ],
)
def test_flag_errors_name_the_flag(run: Cli, case: str, flag: str, needle: str) -> None:
    result = run("validate", "--env", "dev", flag)

    assert result.exit_code == 2
    assert needle in result.output


@pytest.mark.parametrize("command", ["status", "send", "destroy"])
def test_commands_that_pass_no_parameters_do_not_offer_the_flag(run: Cli, command: str) -> None:
    result = run(command, "--env", "dev", "--parameter", "MaxAttempts=3")

    assert result.exit_code == 2
    assert "No such option '--parameter'" in result.stderr


@pytest.mark.parametrize("command", ["up", "package", "plan", "destroy", "status"])
def test_ci_without_env_is_refused(run: Cli, command: str) -> None:
    result = run(command, env={"CI": "true"})

    assert result.exit_code == 2
    assert "CI is set but no --env was given" in result.stderr
    assert result.stdout == ""


def test_ci_without_env_in_json_mode_still_prints_one_summary(run: Cli) -> None:
    import json

    result = run("up", "--output", "json", env={"CI": "1"})

    summary = json.loads(result.stdout)
    assert summary["exit_code"] == 2 and summary["command"] == "up"
    assert "CI is set" in summary["error"]


def test_the_shipped_env_files_load(run: Cli) -> None:
    from deployer.config.environment import DEFAULT_CONFIG_DIR, load_env_config

    local = load_env_config(DEFAULT_CONFIG_DIR, "local")
    assert local.local and local.account_id == "123456789012" and local.stack_name == "disa-local"
    assert local.parameters["ProtectStatefulResources"] == "false"
    for env in ("dev", "prod"):  # shipped with the placeholder account on purpose
        result = run("status", "--env", env, defaults=False)
        assert result.exit_code == 2 and "placeholder value of 'account_id'" in result.stderr


def test_debug_re_raises_instead_of_printing(run: Cli) -> None:
    from deployer.errors import ConfigError

    result = run("status", "--env", "staging", "--debug")

    assert isinstance(result.exception, ConfigError)


def test_json_output_keeps_stdout_to_one_document(run: Cli) -> None:
    import json

    result = run("status", "--env", "staging", "--output", "json")

    assert json.loads(result.stdout)["error"].startswith("unknown environment")
    assert result.stderr.startswith("error: unknown environment")
