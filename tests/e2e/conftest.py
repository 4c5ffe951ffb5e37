"""The whole system, deployed by the real CLI into a private emulator, once per e2e session.

The emulator gets its own state dir and a free port (a developer's own local emulator is
left alone) and a fast schedule: DISA_LOCAL_SCHEDULE_SCALE=0.05 makes the local env's
``rate(1 minute)`` retry schedule fire every 3 s.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import deployer.local as local
from deployer.cli import cli
from deployer.wiring import Edge
from tests.e2e.support import PrivateEmulator, System
from tests.support.emulator import emulator_client, free_port

ROOT = Path(__file__).resolve().parents[2]
SCHEDULE_SCALE = "0.05"


def disa_deploy(edge: Edge, *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--project-dir", str(ROOT)], obj=edge)
    assert result.exit_code == 0, result.output
    return result


@contextmanager
def deployed_system(state_dir: Path, *up_args: str) -> Iterator[System]:
    """The real tree deployed by ``disa-deploy up`` on a private emulator, torn down after."""
    emulator = PrivateEmulator(state_dir, free_port())
    edge = Edge(emulator=emulator)
    previous = os.environ.get("DISA_LOCAL_SCHEDULE_SCALE")
    os.environ["DISA_LOCAL_SCHEDULE_SCALE"] = SCHEDULE_SCALE
    try:
        started = time.monotonic()
        disa_deploy(edge, "up", "--env", "local", "--output", "json", *up_args)
        up_seconds = time.monotonic() - started
        endpoint = local.emulator_status(emulator.state_dir)
        assert endpoint is not None
        cloudformation = emulator_client(endpoint, "cloudformation")
        stacks = cloudformation.describe_stacks(StackName="disa-local")["Stacks"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
        print(f"\n`disa-deploy up --env local` from nothing took {up_seconds:.1f} s")
        yield System(endpoint, outputs, up_seconds, edge)
        disa_deploy(edge, "destroy", "--env", "local", "--yes")
    finally:
        local.stop_emulator(emulator.state_dir)
        if previous is None:
            os.environ.pop("DISA_LOCAL_SCHEDULE_SCALE", None)
        else:
            os.environ["DISA_LOCAL_SCHEDULE_SCALE"] = previous


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with deployed_system(tmp_path_factory.mktemp("e2e-emulator")) as deployed:
        yield deployed
