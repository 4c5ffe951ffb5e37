"""The override undone, on the real emulator: ``up --parameter MaxAttempts=7``, then a plain
``up`` puts the env's value back in the stack and in the retry function; only then does
``up`` say ``no changes``. Before, the plain ``up`` said ``no changes`` while the stack and
the function still held 7. ``plan`` shows the parameter's change and what it reaches.
Its own emulator on a free port (the session's system is left alone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import deployer.local as local
from deployer.cli import cli
from deployer.wiring import Edge
from tests.e2e.support import PrivateEmulator
from tests.support.emulator import emulator_client, free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def disa_deploy(edge: Edge, *args: str) -> Any:
    words = [*args, "--env", "local", "--output", "json", "--project-dir", str(ROOT)]
    result = CliRunner().invoke(cli, words, obj=edge)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def held(endpoint: str) -> tuple[str, str]:
    """MaxAttempts as the stack holds it, and as the retry function reads it."""
    stack = emulator_client(endpoint, "cloudformation").describe_stacks(StackName="disa-local")
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Stacks"][0]["Parameters"]}
    function = emulator_client(endpoint, "lambda").get_function_configuration(
        FunctionName="disa-local-retry"
    )
    # str(): the emulator answers the variable as a number where AWS answers a string.
    return parameters["MaxAttempts"], str(function["Environment"]["Variables"]["MAX_ATTEMPTS"])


def test_a_parameter_override_is_undone_by_a_plain_up(tmp_path: Path) -> None:
    emulator = PrivateEmulator(tmp_path / "emulator", free_port())
    edge = Edge(emulator=emulator)
    try:
        disa_deploy(edge, "up")
        endpoint = local.emulator_status(emulator.state_dir)
        assert endpoint is not None
        env_value, _ = held(endpoint)
        disa_deploy(edge, "up", "--parameter", "MaxAttempts=7")
        assert held(endpoint) == ("7", "7")

        planned, plan_words = disa_deploy(edge, "plan")
        back, _ = disa_deploy(edge, "up")
        again, again_words = disa_deploy(edge, "up")

        assert planned["details"]["plan"]["action"] == "UPDATE"
        (change,) = planned["details"]["plan"]["parameters"]
        assert (change["name"], change["old"], change["new"]) == ("MaxAttempts", "7", env_value)
        assert any("RetryFunction" in where for where in change["touches"]), change
        assert f"MaxAttempts  7 -> {env_value}" in plan_words
        assert back["changed"] is True
        assert held(endpoint) == (env_value, env_value)
        assert again["changed"] is False and "no changes" in again_words
        disa_deploy(edge, "destroy", "--yes")
    finally:
        local.stop_emulator(emulator.state_dir)
