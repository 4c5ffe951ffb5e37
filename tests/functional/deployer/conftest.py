"""Fixtures for driving the disa-deploy CLI against moto (and Stubber where moto cannot).

Every test gets its own copy of a small fixture project that follows the contract's local
path conventions (cft/, code/python/, state-machine/), env files under ``config/``, a fake
clock whose sleep only advances it, and an ``Edge`` carrying both, so no test really waits.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from cfn_script import CfnScript, make_store
from deploy_harness import FIXTURE, CallLog, Cli, FakeClock, counting_edge
from moto import mock_aws

from deployer.gateways.aws import AwsTarget, Clients
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
    # A developer's DISA_LOCAL_PORT must not leak in (None unsets it); tests that want it
    # pass it themselves.
    return Cli(
        project, Edge(clock=clock, sleep=clock.sleep), env={"CI": "", "DISA_LOCAL_PORT": None}
    )


@pytest.fixture
def log() -> CallLog:
    return CallLog()


@pytest.fixture
def counted(run: Cli, clock: FakeClock, log: CallLog) -> Cli:
    """``run``, with every AWS call the command makes counted in ``log``."""
    return Cli(run.project, counting_edge(clock, log), run.env)


@pytest.fixture
def aws() -> Iterator[None]:
    """moto, plus the emulator's patches for what real CloudFormation does that moto skips:
    applying ``PublicAccessBlockConfiguration`` (the artifact store check needs it), judging
    change sets against the stack's current parameters and tags, termination protection."""
    with (
        installed(
            "s3_public_access", "change_sets", "change_set_lookups", "termination_protection"
        ),
        mock_aws(),
    ):
        yield


@pytest.fixture
def cfn() -> Iterator[CfnScript]:
    """Scripted CloudFormation (use with the ``aws`` fixture: S3 and STS stay on moto)."""
    make_store()
    script = CfnScript()
    yield script
    script.assert_done()


@pytest.fixture
def stubbed(run: Cli, clock: FakeClock, cfn: CfnScript) -> Cli:
    """The CLI with CloudFormation scripted by ``cfn`` and everything else on moto."""

    def clients(target: AwsTarget) -> Clients:
        def moto(name: str) -> object:
            return boto3.client(name, region_name="us-east-1")

        return Clients(cfn.client, moto("s3"), moto("sts"), moto("dynamodb"))

    edge = Edge(make_clients=clients, clock=clock, sleep=clock.sleep, heartbeat_seconds=4)
    return Cli(run.project, edge, run.env)
