"""Two ``up`` started at once from nothing on the local emulator: one stack, never two.

Before, the second run's CREATE change set made a second stack of the same name, which
failed ``ROLLBACK_COMPLETE`` ("Table already exists", exit 4). Whichever run loses now
either finds the stack already deployed (exit 0) or is refused, naming the other operation
(exit 3); neither outcome depends on which run is faster, so the test asserts only what
must hold for every interleaving.

The real console script runs twice in its own processes on a copy of the tree, with the
emulator and state in a temporary folder on a free port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import deployer.local as local
from tests.e2e.test_e2e_interrupt import copy_tree
from tests.support.emulator import emulator_client, free_port

pytestmark = pytest.mark.e2e
DEADLINE_SECONDS = 600.0


def test_two_ups_at_once_make_one_stack_and_the_loser_says_why(tmp_path: Path) -> None:
    project = copy_tree(tmp_path / "project")
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ["DISA_LOCAL_PORT"] = str(port)
    script = Path(sys.executable).with_name("disa-deploy")
    command = [str(script), "up", "--env", "local", "--output", "json",
               "--project-dir", str(project)]  # fmt: skip
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=environ, cwd=tmp_path) for _ in range(2)]  # fmt: skip
    try:
        answers = [run.communicate(timeout=DEADLINE_SECONDS) for run in runs]
        cloudformation = emulator_client(f"http://127.0.0.1:{port}", "cloudformation")
        stacks = cloudformation.describe_stacks()["Stacks"]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
        local.stop_emulator(project / ".disa" / "local")

    codes = sorted(run.returncode for run in runs)
    words = "\n".join(err for _, err in answers)
    assert codes in ([0, 0], [0, 3]), words
    roots = [s for s in stacks if s["StackName"] == "disa-local"]
    assert [s["StackStatus"] for s in roots] == ["CREATE_COMPLETE"], stacks
    for (out, err), run in zip(answers, runs, strict=True):
        assert json.loads(out)["exit_code"] == run.returncode
        if run.returncode == 3:
            assert "another operation got to disa-local first" in err
            assert "this run executed nothing" in err
