"""A create that fails on the real emulator, then `destroy`: the case that used to exit 1
("a bug in disa-deploy") and leave the emulator running, because the emulator answers
ListStackResources of the failed stack with a DynamoDB error body. Its own private emulator
(it is destroyed here), not the session's."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import botocore.exceptions
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
    return CliRunner().invoke(cli, [*args, "--env", "local", "--project-dir", str(ROOT)], obj=edge)


def delete_stack_keeping_the_table(endpoint: str) -> None:
    cloudformation = emulator_client(endpoint, "cloudformation")
    cloudformation.delete_stack(StackName="disa-local")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            cloudformation.describe_stacks(StackName="disa-local")
        except botocore.exceptions.ClientError:
            return
        time.sleep(0.25)
    raise AssertionError("disa-local still there after 60 s")


def test_destroy_after_a_failed_create_stops_the_emulator_and_says_what_it_skipped(
    tmp_path: Path,
) -> None:
    emulator = PrivateEmulator(tmp_path / "emulator", free_port())
    edge = Edge(emulator=emulator)
    try:
        assert disa_deploy(edge, "up").exit_code == 0
        endpoint = local.emulator_status(emulator.state_dir)
        assert endpoint is not None
        delete_stack_keeping_the_table(endpoint)
        tables = emulator_client(endpoint, "dynamodb").list_tables()["TableNames"]
        assert "disa-local-messages" in tables  # DeletionPolicy: RetainExceptOnCreate

        failed = disa_deploy(edge, "up")
        assert failed.exit_code == 4, failed.output
        assert "Table already exists: disa-local-messages" in failed.stdout  # the root cause

        destroyed = disa_deploy(edge, "destroy", "--yes")
        assert destroyed.exit_code == 0, destroyed.output
        assert "bug" not in destroyed.output
        assert "(could not list them: list resources of" in destroyed.stdout
        assert "cloudformation ListStackResources at http://127.0.0.1:" in destroyed.stdout
        assert "emulator stopped" in destroyed.stdout
        assert local.emulator_status(emulator.state_dir) is None
    finally:
        local.stop_emulator(emulator.state_dir)
