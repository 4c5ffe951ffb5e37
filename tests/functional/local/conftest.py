"""One emulator per test session for the local-mode tests, stopped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployer.local import ensure_emulator, stop_emulator
from tests.functional.local.support import Clients
from tests.support.emulator import free_port

# "rate(1 minute)" fires every 1.2 s in these tests.
SCHEDULE_SCALE = "0.02"


@pytest.fixture(scope="session")
def emulator_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    state_dir = tmp_path_factory.mktemp("local-state")
    previous = os.environ.get("DISA_LOCAL_SCHEDULE_SCALE")
    os.environ["DISA_LOCAL_SCHEDULE_SCALE"] = SCHEDULE_SCALE
    try:
        endpoint = ensure_emulator(state_dir, free_port(), lambda _line: None)
    finally:
        if previous is None:
            os.environ.pop("DISA_LOCAL_SCHEDULE_SCALE", None)
        else:
            os.environ["DISA_LOCAL_SCHEDULE_SCALE"] = previous
    yield state_dir, endpoint
    stop_emulator(state_dir)


@pytest.fixture(scope="session")
def endpoint(emulator_state: tuple[Path, str]) -> str:
    return emulator_state[1]


@pytest.fixture(scope="session")
def aws(endpoint: str) -> Clients:
    return Clients(endpoint)
