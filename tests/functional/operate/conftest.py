"""Fixtures of the operate commands' tests: a deployed-looking env in moto, a CLI on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws
from operate_world import Cli, Logs, build

from deployer.wiring import Edge


class FakeClock:
    """Monotonic time that only sleep moves; sleeps are recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Path]:
    with mock_aws():
        yield build(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cli(world: Path, clock: FakeClock) -> Cli:
    return Cli(world, Edge(clock=clock, sleep=clock.sleep))


@pytest.fixture
def logs(world: Path) -> Logs:
    return Logs()
