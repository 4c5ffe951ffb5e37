"""Helpers of the e2e tests: the session's private emulator and the deployed system."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import deployer.local as local
from tests.support.emulator import emulator_client


class PrivateEmulator:
    """deployer.local with this session's state dir and port, whatever the config says."""

    def __init__(self, state_dir: Path, port: int) -> None:
        self.state_dir, self.port = state_dir, port

    def ensure_emulator(self, state_dir: Path, port: int, log: Callable[[str], None]) -> str:
        return local.ensure_emulator(self.state_dir, self.port, log)

    def stop_emulator(self, state_dir: Path) -> bool:
        return local.stop_emulator(self.state_dir)

    def emulator_status(
        self, state_dir: Path, log: Callable[[str], None] | None = None
    ) -> str | None:
        return local.emulator_status(self.state_dir, log)


@dataclass
class System:
    endpoint: str
    outputs: dict[str, str]
    up_seconds: float
    edge: Any = None  # the CLI wiring pointed at this emulator

    def client(self, service: str) -> Any:
        return emulator_client(self.endpoint, service)
