"""Ctrl-C to a running ``up`` on the local emulator: exit 130, one JSON document on stdout,
and words that say what the emulator's CloudFormation carries on with.

The real console script runs in its own process on a copy of the tree (so its emulator and
state live in a temporary folder on a free port) and gets a real SIGINT once it says it is
executing the change set.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import deployer.local as local
from tests.support.emulator import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
READY = "executing change set"
DEADLINE_SECONDS = 180.0


def copy_tree(target: Path) -> Path:
    for folder in ("cft", "code", "state-machine"):
        shutil.copytree(ROOT / folder, target / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    return target


def lines_of(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


def test_sigint_to_a_running_up_exits_130_with_one_json_document(tmp_path: Path) -> None:
    project = copy_tree(tmp_path / "project")
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ["DISA_LOCAL_PORT"] = str(free_port())
    script = Path(sys.executable).with_name("disa-deploy")
    process = subprocess.Popen(
        [str(script), "up", "--env", "local", "--output", "json", "--project-dir", str(project)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ, cwd=tmp_path,
    )  # fmt: skip
    stderr: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lines_of, args=(process.stderr, stderr), daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not any(READY in line for line in seen):
            assert time.monotonic() < deadline and process.poll() is None, "".join(seen)
            try:
                seen.append(stderr.get(timeout=1))
            except queue.Empty:
                continue
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        assert process.stdout is not None
        stdout = process.stdout.read()  # small: with --output json only the summary goes here
        reader.join(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        local.stop_emulator(project / ".disa" / "local")
    while not stderr.empty():
        seen.append(stderr.get())
    words = "".join(seen)

    assert process.returncode == 130, words
    summary = json.loads(stdout)  # exactly one document, nothing else
    assert (summary["command"], summary["exit_code"]) == ("up", 130)
    assert summary["error"] == "interrupted"
    assert "interrupted (Ctrl-C)" in words
    assert "the emulator's CloudFormation carries on" in words
    assert "follow it: disa-deploy status" in words
