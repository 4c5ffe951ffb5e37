"""What a use case is given: the resolved env, the gateways, a progress port, time and sleep.

Built once per command by :func:`deployer.wiring.connect`; use cases take a
:class:`Runtime` and never create clients, read the clock or sleep on their own, so tests
drive them with moto or Stubber clients, a fake clock and a sleep that only advances it.
``clock`` measures durations (monotonic); ``wall_clock`` is the epoch time that log
windows and retry due times are compared with.

Use cases return result values and report only *progress* while they run, through
:class:`Progress` (lines and stack events, which the output layer renders on stderr). ``ui``
is for the command bodies in :mod:`deployer.cli`, which render results and the JSON
summary; no use case touches it (a test holds them to that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from deployer.cfn.diagnosis import PathEvent
from deployer.config.environment import EnvConfig
from deployer.config.project import Project
from deployer.gateways.cloudformation import StackGateway
from deployer.gateways.dynamodb import MessageTable
from deployer.gateways.identity import Identity
from deployer.gateways.logs import LogGateway
from deployer.gateways.queues import Queues
from deployer.gateways.runs import FunctionGateway, RunCode, RunGateway
from deployer.gateways.s3 import ArtifactBucket
from deployer.gateways.stepfunctions import ExecutionGateway
from deployer.ui.output import UI


class Emulator(Protocol):
    """The local emulator's interface (``deployer.local`` implements it as module functions)."""

    def ensure_emulator(self, state_dir: Path, port: int, log: Callable[[str], None]) -> str: ...

    def stop_emulator(self, state_dir: Path) -> bool: ...

    def emulator_status(
        self, state_dir: Path, log: Callable[[str], None] | None = None
    ) -> str | None: ...


@dataclass(frozen=True)
class Progress:
    """The narrow port through which a running use case reports: a line, a stack event."""

    line: Callable[[str], None]
    event: Callable[[PathEvent], None]


@dataclass
class Runtime:
    config: EnvConfig
    project: Project
    ui: UI
    stacks: StackGateway
    identity: Identity
    table: MessageTable
    bucket_for: Callable[[str, str], ArtifactBucket]  # (bucket name, KMS key ARN) -> gateway
    endpoint_url: str | None
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    poll_seconds: float
    heartbeat_seconds: float
    logs: LogGateway
    executions: ExecutionGateway
    wall_clock: Callable[[], float]
    functions: FunctionGateway
    # (the project's run code, the retry function's environment) -> gateway
    runs_for: Callable[[RunCode, Mapping[str, str]], RunGateway]
    queues: Queues
    progress: Progress
    emulator: Emulator | None = None

    @property
    def emulated(self) -> bool:
        return self.config.local

    def wait(self, seconds: float | None = None) -> None:
        self.sleep(self.poll_seconds if seconds is None else seconds)
