"""Every config mistake stops the CLI with exit 2 and one message naming the file and key."""

from __future__ import annotations

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
        ("unknown parameter", PARAMS + "Colour: red\n", "'parameters.Colour'"),
        ("bad e-mail", PARAMS + "OpsEmail: nobody\n", "'parameters.OpsEmail'"),
        ("bad schedule", PARAMS + "RetrySchedule: every 5m\n", "'parameters.RetrySchedule'"),
        ("bad max attempts", PARAMS + "MaxAttempts: 0\n", "'parameters.MaxAttempts'"),
        ("bad retention", PARAMS + "LogRetentionDays: 8\n", "'parameters.LogRetentionDays'"),
        (
            "bad boolean parameter",
            PARAMS + "ProtectStatefulResources: maybe\n",
            "'parameters.ProtectStatefulResources'",
        ),
        ("not a mapping", "- region\n", "expected a mapping"),
        ("not yaml", "region: [unclosed\n", "not valid YAML"),
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


def test_an_unknown_env_is_refused_listing_the_known_ones(run: Cli) -> None:
    result = run("up", "--env", "staging")

    assert result.exit_code == 2
    assert "unknown environment 'staging'" in result.stderr
    assert "staging.yaml does not exist" in result.stderr
    assert "known environments: dev, local, other, prod" in result.stderr


@pytest.mark.parametrize(
    ("case", "flag", "needle"),
    [
        ("unknown parameter flag", "--parameter=Colour=red", "unknown parameter 'Colour'"),
        ("parameter without value", "--parameter=MaxAttempts", "expected KEY=VALUE"),
        ("bad parameter value", "--parameter=MaxAttempts=lots", "--parameter MaxAttempts"),
        ("bad region flag", "--region=mars", "--region"),
    ],
)
def test_flag_errors_name_the_flag(run: Cli, case: str, flag: str, needle: str) -> None:
    result = run("status", "--env", "dev", flag)

    assert result.exit_code == 2
    assert needle in result.stderr


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
