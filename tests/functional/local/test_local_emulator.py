"""The emulator process: reuse, stale records, ports held by others, stop and status, one
owner per project, and what a killed emulator lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deployer.errors import EmulatorError
from deployer.local import emulator_status, ensure_emulator, stop_emulator
from deployer.local.emulator import is_alive
from tests.support.emulator import emulator_client, free_port


def test_a_healthy_emulator_is_reused(emulator_state: tuple[Path, str]) -> None:
    state_dir, endpoint = emulator_state
    lines: list[str] = []

    again = ensure_emulator(state_dir, 1, lines.append)

    assert again == endpoint
    assert emulator_status(state_dir) == endpoint
    assert any("Reusing" in line for line in lines)


def test_stale_record_is_cleaned_and_a_busy_port_refused_quickly(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        (tmp_path / "emulator.json").write_text(json.dumps({"pid": gone.pid, "port": port}))
        lines: list[str] = []

        with pytest.raises(EmulatorError) as caught:
            ensure_emulator(tmp_path, port, lines.append)

    assert f"Port {port} on 127.0.0.1 is in use by another program" in caught.value.message
    assert caught.value.hint
    assert any(f"(pid {gone.pid}, port {port}" in line and "is gone" in line for line in lines)
    assert not (tmp_path / "emulator.json").exists()


def test_nothing_to_stop_and_no_status_without_an_emulator(tmp_path: Path) -> None:
    assert stop_emulator(tmp_path) is False
    assert emulator_status(tmp_path) is None


def test_start_then_stop_leaves_nothing_running(tmp_path: Path) -> None:
    endpoint = ensure_emulator(tmp_path, free_port(), lambda _line: None)
    pid = json.loads((tmp_path / "emulator.json").read_text())["pid"]

    assert stop_emulator(tmp_path) is True

    assert endpoint.startswith("http://127.0.0.1:")
    assert emulator_status(tmp_path) is None
    assert not Path(f"/proc/{pid}").exists()


def test_a_port_held_by_another_projects_emulator_names_it_and_the_way_out(
    tmp_path: Path,
) -> None:
    port = free_port()
    ensure_emulator(tmp_path / "first", port, lambda _line: None)
    try:
        with pytest.raises(EmulatorError) as caught:
            ensure_emulator(tmp_path / "second", port, lambda _line: None)
    finally:
        stop_emulator(tmp_path / "first")

    assert str(tmp_path / "first") in caught.value.message
    assert f"DISA_LOCAL_PORT={port + 1}" in (caught.value.hint or "")


STARTER = """
import sys
from pathlib import Path
from deployer.local import ensure_emulator
print(ensure_emulator(Path(sys.argv[1]), int(sys.argv[2]), lambda line: None))
"""


def test_two_starts_at_once_share_one_emulator_and_destroy_stops_it(tmp_path: Path) -> None:
    port = free_port()
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, str(tmp_path), str(port)],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    endpoints = [starter.communicate(timeout=180)[0].strip() for starter in starters]
    record = json.loads((tmp_path / "emulator.json").read_text())
    mine = (b"deployer.local.server", str(tmp_path).encode())
    servers = [p for p in Path("/proc").glob("[0-9]*/cmdline") if all(m in _read(p) for m in mine)]

    try:
        assert [starter.returncode for starter in starters] == [0, 0]
        assert endpoints == [f"http://127.0.0.1:{port}"] * 2
        assert [int(p.parent.name) for p in servers] == [record["pid"]]
    finally:
        assert stop_emulator(tmp_path) is True
    assert not Path(f"/proc/{record['pid']}").exists()
    assert not (tmp_path / "emulator.json").exists()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def wait_for(probe: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"nothing after {timeout} s")


def test_a_killed_emulator_is_reported_with_the_items_it_lost(tmp_path: Path) -> None:
    endpoint = ensure_emulator(tmp_path, free_port(), lambda _line: None)
    record = json.loads((tmp_path / "emulator.json").read_text())
    ddb = emulator_client(endpoint, "dynamodb")
    ddb.create_table(
        TableName="precious",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for key in ("a", "b", "c"):
        ddb.put_item(TableName="precious", Item={"id": {"S": key}})
    holdings = tmp_path / "holdings.json"

    def counted() -> bool:
        tables = json.loads(holdings.read_text())["tables"] if holdings.exists() else {}
        return bool(tables.get("us-east-1/precious") == 3)

    wait_for(counted)

    os.kill(record["pid"], signal.SIGKILL)
    wait_for(lambda: not is_alive(record["pid"]))
    status_lines: list[str] = []
    status = emulator_status(tmp_path, status_lines.append)
    up_lines: list[str] = []
    again = ensure_emulator(tmp_path, free_port(), up_lines.append)
    stop_emulator(tmp_path)

    assert status is None
    assert len(status_lines) == 1 and status_lines == up_lines[:1]
    notice = status_lines[0]
    assert f"pid {record['pid']}" in notice and "is gone" in notice
    assert "3 items (precious: 3)" in notice
    assert "local state lives only in the emulator's memory" in notice.lower()
    assert again.startswith("http://127.0.0.1:")
    assert any("Starting the local emulator" in line for line in up_lines)


def test_this_projects_emulator_without_its_record_is_adopted_and_stopped(
    tmp_path: Path,
) -> None:
    port = free_port()
    endpoint = ensure_emulator(tmp_path, port, lambda _line: None)
    pid = json.loads((tmp_path / "emulator.json").read_text())["pid"]
    (tmp_path / "emulator.json").unlink()
    lines: list[str] = []

    try:
        again = ensure_emulator(tmp_path, port, lines.append)
        assert again == endpoint
        assert any("without its record" in line for line in lines)
        assert json.loads((tmp_path / "emulator.json").read_text())["pid"] == pid
        (tmp_path / "emulator.json").unlink()  # lost again: destroy still finds it
    finally:
        stopped = stop_emulator(tmp_path)
    assert stopped is True
    assert not Path(f"/proc/{pid}").exists()
