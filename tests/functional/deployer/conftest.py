"""Fixtures for driving the disa-deploy CLI against moto (and Stubber where moto cannot).

Every test gets its own copy of a small fixture project that follows the contract's local
path conventions (cft/, code/python/, state-machine/), env files under ``config/``, a fake
clock whose sleep only advances it, and an ``Edge`` carrying both, so no test really waits.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_harness import FIXTURE, Cli, FakeClock
from moto import mock_aws

from deployer.local.patches import installed
from deployer.wiring import Edge


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def run(project: Path, clock: FakeClock) -> Cli:
    # DISA_LOCAL_PORT: a developer's exported port must not move the tests' local env.
    return Cli(project, Edge(clock=clock, sleep=clock.sleep), env={"CI": "", "DISA_LOCAL_PORT": ""})


@pytest.fixture
def aws() -> Iterator[None]:
    """moto, plus the emulator's patch for what real CloudFormation does that moto's bucket
    model skips: applying ``PublicAccessBlockConfiguration`` (the artifact store check needs it)."""
    with installed("s3_public_access"), mock_aws():
        yield
