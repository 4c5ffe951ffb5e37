"""The emulator process: reuse, stale records, ports held by others, stop and status."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from deployer.errors import EmulatorError
from deployer.local import emulator_status, ensure_emulator, stop_emulator
from tests.support.emulator import free_port


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
