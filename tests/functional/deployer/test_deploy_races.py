"""Ctrl-C before execution, another operation getting to the stack first, and ``plan`` on a
stack to recreate: scripted CloudFormation (S3 and STS on moto)."""

from __future__ import annotations

import json

import pytest
from cfn_script import (
    CS_ID,
    OLD_ID,
    ROOT_ID,
    STORE_ID,
    CfnScript,
    cleanup_of_a_created_stack,
    stack,
    up_to_execution,
)
from deploy_harness import Cli

pytestmark = pytest.mark.usefixtures("aws")


def test_ctrl_c_while_the_change_set_is_made_removes_it_and_the_stack_it_made(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    cfn.fail("describe_change_set", KeyboardInterrupt())
    cleanup_of_a_created_stack(cfn)

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 130, result.output
    summary = json.loads(result.stdout)
    assert (summary["exit_code"], summary["error"]) == (130, "interrupted")
    lines = result.stderr.splitlines()
    assert "interrupted (Ctrl-C): disa-deploy stopped before executing anything in " \
        "CloudFormation" in lines  # fmt: skip
    assert f"removed change set {CS_ID}" in lines
    assert "removed the empty stack disa-dev (REVIEW_IN_PROGRESS) it made" in lines
    assert "carries on" not in result.stderr  # nothing was started


def test_ctrl_c_says_what_it_could_not_remove_and_how(stubbed: Cli, cfn: CfnScript) -> None:
    cfn.store_ready()
    cfn.describe(stack("UPDATE_COMPLETE"))
    cfn.create_change_set("UPDATE")
    cfn.fail("describe_change_set", KeyboardInterrupt())
    cfn.error("delete_change_set", "InvalidChangeSetStatus", "it is busy")

    result = stubbed("plan", "--env", "dev")

    assert result.exit_code == 130, result.output
    assert (
        f"could not remove change set {CS_ID}: delete change set: cloudformation DeleteChangeSet at"
    ) in result.stderr
    assert (
        f"remove it yourself: aws cloudformation delete-change-set --change-set-name {CS_ID} "
        "--region us-east-1"
    ) in result.stderr


def test_a_create_that_another_operation_started_first_is_refused_naming_it(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.error("create_change_set", "AlreadyExistsException", "Stack [disa-dev] already exists")
    cfn.describe(stack("CREATE_IN_PROGRESS"))

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 3, result.output
    assert "another operation got to disa-dev first while this run was creating change set " \
        "disa-deploy-" in result.stderr  # fmt: skip
    assert ": it is CREATE_IN_PROGRESS; this run executed nothing" in result.stderr
    assert "AlreadyExistsException" not in result.stderr
    assert json.loads(result.stdout)["exit_code"] == 3


def test_a_change_set_another_operation_made_obsolete_is_refused_and_removed(
    stubbed: Cli, cfn: CfnScript
) -> None:
    up_to_execution(cfn)
    obsolete = f"ChangeSet [{CS_ID}] cannot be executed in its current status of [OBSOLETE]"
    cfn.error("execute_change_set", "InvalidChangeSetStatus", obsolete)
    cfn.describe(stack("CREATE_IN_PROGRESS"))
    cfn.add("delete_change_set", {}, {"ChangeSetName": CS_ID})
    cfn.add("describe_stacks", {"Stacks": [stack("CREATE_IN_PROGRESS")]}, {"StackName": ROOT_ID})

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 3, result.output
    assert "another operation got to disa-dev first while this run was about to execute its " \
        "change set: it is CREATE_IN_PROGRESS" in result.stderr  # fmt: skip


def test_a_change_set_removed_by_another_runs_execution_is_refused_not_a_failure(
    stubbed: Cli, cfn: CfnScript
) -> None:
    # Both runs joined one REVIEW_IN_PROGRESS stack; the other executed first, which deletes
    # every other change set of the stack: this run's is gone.
    up_to_execution(cfn)
    gone = f"ChangeSet [{CS_ID}] does not exist"
    cfn.error("execute_change_set", "ChangeSetNotFound", gone, status=404)
    cfn.describe(stack("CREATE_IN_PROGRESS"))
    cfn.error("delete_change_set", "ChangeSetNotFound", gone, status=404)
    cfn.add("describe_stacks", {"Stacks": [stack("CREATE_IN_PROGRESS")]}, {"StackName": ROOT_ID})

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 3, result.output
    assert "another operation got to disa-dev first while this run was about to execute its " \
        "change set: it is CREATE_IN_PROGRESS" in result.stderr  # fmt: skip
    assert "this run executed nothing" in result.stderr
    assert f"change set {CS_ID} was already gone" in result.stderr
    assert "could not remove" not in result.stderr and "DeleteStack" not in cfn.calls
    assert json.loads(result.stdout)["exit_code"] == 3


def test_a_change_set_removed_while_it_is_read_is_refused_not_a_failure(
    stubbed: Cli, cfn: CfnScript
) -> None:
    # The other run executed its change set while this one waited for its own to be made.
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    gone = f"ChangeSet [{CS_ID}] does not exist"
    cfn.error("describe_change_set", "ChangeSetNotFound", gone, status=404)
    cfn.describe(stack("CREATE_IN_PROGRESS"))
    cfn.error("delete_change_set", "ChangeSetNotFound", gone, status=404)
    cfn.add("describe_stacks", {"Stacks": [stack("CREATE_IN_PROGRESS")]}, {"StackName": ROOT_ID})

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 3, result.output
    assert "another operation got to disa-dev first while this run was reading change set " \
        "disa-deploy-" in result.stderr  # fmt: skip
    assert ": it is CREATE_IN_PROGRESS; this run executed nothing" in result.stderr
    cfn.assert_done()


def test_a_cleanup_keeps_a_review_stack_that_holds_another_runs_change_set(
    stubbed: Cli, cfn: CfnScript
) -> None:
    # This run saw no stack, so it believes its CREATE change set made disa-dev; another run's
    # change set joined the same REVIEW_IN_PROGRESS stack, and deleting the stack would
    # delete that run's change set under it.
    theirs = CS_ID.replace("cs-1", "cs-theirs")
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    cfn.fail("describe_change_set", KeyboardInterrupt())
    cfn.add("delete_change_set", {}, {"ChangeSetName": CS_ID})
    cfn.add("describe_stacks", {"Stacks": [stack("REVIEW_IN_PROGRESS")]}, {"StackName": ROOT_ID})
    cfn.add("list_change_sets", {"Summaries": [{"ChangeSetId": theirs}]}, {"StackName": ROOT_ID})

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 130, result.output
    assert f"removed change set {CS_ID}" in result.stderr.splitlines()
    assert "kept the empty stack disa-dev (REVIEW_IN_PROGRESS): it also holds " \
        f"{theirs} of another run" in result.stderr  # fmt: skip
    assert "DeleteStack" not in cfn.calls
    cfn.assert_done()


def test_a_store_another_run_is_creating_is_waited_for_and_used(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.missing("disa-dev-artifacts")
    exists = "Stack [disa-dev-artifacts] already exists"
    cfn.error("create_stack", "AlreadyExistsException", exists)
    cfn.describe(stack("CREATE_IN_PROGRESS", STORE_ID, "disa-dev-artifacts"))
    cfn.store_ready()

    result = stubbed("package", "--env", "dev", "--output", "json")

    assert result.exit_code == 0, result.output
    assert "another run created disa-dev-artifacts first: waiting for it" in result.stderr
    assert "disa-dev-artifacts is CREATE_IN_PROGRESS: waiting for it to settle" in result.stderr
    assert json.loads(result.stdout)["counts"]["uploaded"] > 0
    cfn.assert_done()


def test_plan_never_deletes_a_failed_stack_and_cannot_save_a_plan_for_it(
    stubbed: Cli, cfn: CfnScript, tmp_path: object
) -> None:
    cfn.store_ready()
    cfn.describe(stack("ROLLBACK_COMPLETE", OLD_ID))
    cfn.store_ready()
    cfn.describe(stack("ROLLBACK_COMPLETE", OLD_ID))
    saved = f"{tmp_path}/plan.json"

    shown = stubbed("plan", "--env", "dev", "--output", "json")
    refused = stubbed("plan", "--env", "dev", "--save", saved)

    assert shown.exit_code == 0, shown.output
    assert "RECREATE: disa-dev is ROLLBACK_COMPLETE (a failed create): up deletes it" in (
        shown.stderr
    )
    assert json.loads(shown.stdout)["details"]["plan"]["action"] == "RECREATE"
    assert refused.exit_code == 3, refused.output
    assert "cannot save a plan for disa-dev" in refused.stderr
    assert "run `disa-deploy up --env dev`" in refused.stderr
