"""``send -`` and ``send --file``: a message too large for a command line goes through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deployer.cli import cli
from tests.e2e.conftest import ROOT
from tests.e2e.support import System

pytestmark = pytest.mark.e2e

# Over one command line argument's limit on Linux (128 KiB), under DISA's message limit.
LARGE = "a large message " * 12_500  # 200,000 bytes


def stored_message(system: System, item_id: str) -> str:
    answer = system.client("dynamodb").get_item(
        TableName=system.outputs["TableName"], Key={"id": {"S": item_id}}, ConsistentRead=True
    )
    return str(answer["Item"]["message"]["S"])


def send(system: System, *args: str, stdin: str | None = None) -> dict[str, object]:
    result = CliRunner().invoke(
        cli, ["send", *args, "--env", "local", "--output", "json", "--project-dir", str(ROOT)],
        obj=system.edge, input=stdin,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_send_dash_reads_a_large_message_from_standard_input(system: System) -> None:
    details = send(system, "-", "--timeout", "1m", stdin=LARGE)["details"]

    assert isinstance(details, dict) and details["send"]["status"] == "Successful"
    assert stored_message(system, details["send"]["item_id"]) == LARGE


def test_send_file_sends_the_file_exactly(system: System, tmp_path: Path) -> None:
    path = tmp_path / "message.txt"
    path.write_text("first line\nsecond line, größer\n", encoding="utf-8")

    details = send(system, "--file", str(path))["details"]

    assert isinstance(details, dict) and details["send"]["status"] == "Successful"
    assert stored_message(system, details["send"]["item_id"]) == path.read_text(encoding="utf-8")
