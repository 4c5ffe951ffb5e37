"""Fixtures for driving the disa-deploy CLI against moto (and Stubber where moto cannot).

Every test gets its own copy of a small fixture project that follows the contract's local
path conventions (cft/, code/python/, state-machine/), env files under ``config/``, a fake
clock whose sleep only advances it, and an ``Edge`` carrying both, so no test really waits.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from deploy_harness import FIXTURE, Cli, FakeClock
from moto import mock_aws
from moto.s3 import models as s3_models

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
    return Cli(project, Edge(clock=clock, sleep=clock.sleep), env={"CI": ""})


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto, plus the one thing real CloudFormation does that moto's bucket model skips:
    applying ``PublicAccessBlockConfiguration`` (the artifact store check needs it)."""
    original = s3_models.FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(
        cls: Any,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        bucket = original(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        block = cloudformation_json.get("Properties", {}).get("PublicAccessBlockConfiguration")
        if block:
            backend = s3_models.s3_backends[account_id]["aws"]
            backend.put_public_access_block(
                resource_name, {k: str(v).lower() == "true" for k, v in block.items()}
            )
        return bucket

    monkeypatch.setattr(
        s3_models.FakeBucket, "create_from_cloudformation_json", classmethod(create)
    )
    with mock_aws():
        yield
