"""Every wait ends at `--timeout`: exit 5, the stack's (or change set's) last status, and the
command that follows it. One budget for the whole command, counted from its first wait;
time is the fake clock, so nothing here really waits."""

from __future__ import annotations

import json

import pytest
from cfn_script import (
    CS_ID,
    OLD_ID,
    ROOT_ID,
    SIXTY_SECONDS,
    CfnScript,
    cleanup_of_a_created_stack,
    event,
    stack,
    up_to_execution,
)
from deploy_harness import Cli, FakeClock

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def slow(stubbed: Cli) -> Cli:
    stubbed.edge.poll_seconds = 25  # reads at 0, 25, 50 and 60 s of a 60 s budget
    return stubbed


def test_change_set_creation_ends_at_the_timeout_and_removes_what_it_made(
    slow: Cli, cfn: CfnScript, clock: FakeClock
) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    for _ in range(4):
        cfn.change_set("CREATE_IN_PROGRESS", [])
    cleanup_of_a_created_stack(cfn)

    result = slow("up", "--env", "dev", "--timeout", SIXTY_SECONDS)

    assert result.exit_code == 5, result.output
    assert f"change set {CS_ID} still CREATE_IN_PROGRESS when --timeout ran out" in result.stderr
    assert sum(clock.sleeps) == 60
    assert "ExecuteChangeSet" not in cfn.calls


def test_a_change_set_that_cannot_be_removed_is_named_with_its_command(
    slow: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    for _ in range(4):
        cfn.change_set("CREATE_IN_PROGRESS", [])
    cfn.error("delete_change_set", "InvalidChangeSetStatus", "Cannot delete in CREATE_IN_PROGRESS")
    cfn.add("describe_stacks", {"Stacks": [stack("REVIEW_IN_PROGRESS")]}, {"StackName": ROOT_ID})
    # Only the change set that could not be removed: the stack holds nobody else's.
    cfn.add("list_change_sets", {"Summaries": [{"ChangeSetId": CS_ID}]}, {"StackName": ROOT_ID})
    cfn.add("delete_stack", {}, {"StackName": ROOT_ID})

    result = slow("up", "--env", "dev", "--timeout", SIXTY_SECONDS)

    assert result.exit_code == 5, result.output  # the timeout, not the failed cleanup
    assert "warning: could not remove change set" in result.stderr
    assert (
        f"remove it yourself: aws cloudformation delete-change-set --change-set-name {CS_ID} "
        "--region us-east-1" in result.stderr
    )


def test_execution_ends_at_the_timeout_with_the_last_status_and_leaves_the_stack_alone(
    slow: Cli, cfn: CfnScript, clock: FakeClock
) -> None:
    review = up_to_execution(cfn)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    started = event(1, "disa-dev", "CREATE_IN_PROGRESS", physical=ROOT_ID)
    for _ in range(4):
        cfn.events(review, started)
        cfn.describe(stack("CREATE_IN_PROGRESS"))

    result = slow("up", "--env", "dev", "--timeout", SIXTY_SECONDS, "--output", "json")

    assert result.exit_code == 5, result.output
    assert "disa-dev still CREATE_IN_PROGRESS when --timeout ran out (60 s)" in result.stderr
    assert "follow it with `disa-deploy status --env dev`" in result.stderr
    assert "DeleteStack" not in cfn.calls and "DeleteChangeSet" not in cfn.calls
    assert json.loads(result.stdout)["exit_code"] == 5


def test_one_budget_covers_the_settle_wait_and_the_execution(
    slow: Cli, cfn: CfnScript, clock: FakeClock
) -> None:
    cfn.store_ready()
    cfn.describe(stack("UPDATE_IN_PROGRESS"))  # the pre-flight look
    cfn.describe(stack("UPDATE_IN_PROGRESS"))  # settle: 0 s
    cfn.describe(stack("UPDATE_ROLLBACK_COMPLETE"))  # settle: 25 s, settled
    cfn.create_change_set("UPDATE")
    cfn.change_set("CREATE_COMPLETE", [])
    last = event(0, "disa-dev", "UPDATE_ROLLBACK_COMPLETE", physical=ROOT_ID)
    cfn.events(last)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    for _ in range(3):  # 25, 50, 60 s: the budget left after the settle wait
        cfn.events(last)
        cfn.describe(stack("UPDATE_IN_PROGRESS"))

    result = slow("up", "--env", "dev", "--timeout", SIXTY_SECONDS)

    assert result.exit_code == 5, result.output
    assert "disa-dev still UPDATE_IN_PROGRESS when --timeout ran out (60 s)" in result.stderr
    assert sum(clock.sleeps) == 60


def test_deleting_a_failed_stack_before_recreating_it_ends_at_the_timeout(
    slow: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.describe(stack("ROLLBACK_COMPLETE", OLD_ID))
    old = event(9, "disa-dev", "ROLLBACK_COMPLETE", physical=OLD_ID, stack_id=OLD_ID)
    cfn.events(old, stack_id=OLD_ID)
    cfn.add("delete_stack", {}, {"StackName": OLD_ID})
    for _ in range(4):
        cfn.events(old, stack_id=OLD_ID)
        cfn.describe(stack("DELETE_IN_PROGRESS", OLD_ID))

    result = slow("up", "--env", "dev", "--timeout", SIXTY_SECONDS)

    assert result.exit_code == 5, result.output
    assert "disa-dev still DELETE_IN_PROGRESS when --timeout ran out (60 s)" in result.stderr
    assert "CreateChangeSet" not in cfn.calls


def test_destroy_ends_at_the_timeout_while_the_stack_is_still_deleting(
    slow: Cli, cfn: CfnScript
) -> None:
    cfn.describe(stack("UPDATE_COMPLETE"))
    cfn.add("list_stack_resources", {"StackResourceSummaries": []}, {"StackName": ROOT_ID})
    last = event(0, "disa-dev", "UPDATE_COMPLETE", physical=ROOT_ID)
    cfn.events(last)
    cfn.add("delete_stack", {}, {"StackName": ROOT_ID})
    for _ in range(4):
        cfn.events(last)
        cfn.describe(stack("DELETE_IN_PROGRESS"))

    result = slow("destroy", "--env", "dev", "--yes", "--timeout", SIXTY_SECONDS)

    assert result.exit_code == 5, result.output
    assert "disa-dev still DELETE_IN_PROGRESS when --timeout ran out (60 s)" in result.stderr
