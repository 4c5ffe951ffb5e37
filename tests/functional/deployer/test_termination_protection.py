"""Termination protection is part of what ``up`` deploys: on exactly for a ``protected`` env.

It is in the no-op comparison (a stack that differs only there is not "no changes"), it is
set by its own call (no change set carries it), ``destroy --force-protected`` lifts it just
before the deletion, and a stack protected by hand in an env that is not protected is never
destroyed. On moto with the emulator's patches (``aws``)."""

from __future__ import annotations

import json

import boto3
import pytest
from deploy_harness import CallLog, Cli, FakeClock, counting_edge

pytestmark = pytest.mark.usefixtures("aws")


def protected(name: str) -> bool:
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    return bool(cfn.describe_stacks(StackName=name)["Stacks"][0]["EnableTerminationProtection"])


def test_a_protected_env_is_created_protected_and_destroyed_only_when_forced(run: Cli) -> None:
    up = run("up", "--env", "prod")
    assert up.exit_code == 0, up.output
    assert "Termination protection: off -> on" in up.stdout
    assert protected("disa-prod")
    again = run("up", "--env", "prod")
    assert "no changes: disa-prod already matches" in again.stdout

    done = run("destroy", "--env", "prod", "--yes", "--force-protected")

    assert done.exit_code == 0, done.output
    assert "termination protection of disa-prod: off, for the deletion" in done.stderr
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    assert "disa-prod" not in [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]


def test_protection_alone_is_a_change_made_without_a_change_set(run: Cli, clock: FakeClock) -> None:
    run("up", "--env", "dev")
    boto3.client("cloudformation", region_name="us-east-1").update_termination_protection(
        StackName="disa-dev", EnableTerminationProtection=True
    )
    log = CallLog()

    result = run("up", "--env", "dev", "--output", "json", edge=counting_edge(clock, log))

    assert result.exit_code == 0, result.output
    assert "Termination protection: on -> off" in result.stderr
    assert "no changes" not in result.stderr
    assert log.count("CreateChangeSet") == 0 and log.count("UpdateTerminationProtection") == 1
    assert json.loads(result.stdout)["changed"] is True
    assert not protected("disa-dev")


def test_a_stack_protected_by_hand_in_an_unprotected_env_is_never_destroyed(run: Cli) -> None:
    run("up", "--env", "dev")
    boto3.client("cloudformation", region_name="us-east-1").update_termination_protection(
        StackName="disa-dev", EnableTerminationProtection=True
    )

    result = run("destroy", "--env", "dev", "--yes")

    assert result.exit_code == 3, result.output
    assert "it has termination protection on, but env dev is not protected" in result.stderr
    assert protected("disa-dev")
