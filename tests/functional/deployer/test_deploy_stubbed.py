"""`up`/`destroy` against scripted CloudFormation: every pre-flight state, nested events,
root cause, refused replacement, "no changes". S3 and STS run on moto."""

from __future__ import annotations

import json
import re

import pytest
from botocore.stub import ANY
from cfn_script import (
    CS_ID,
    NESTED_CS_ID,
    NESTED_ID,
    OLD_ID,
    ROOT_ID,
    SIXTY_SECONDS,
    CfnScript,
    change,
    event,
    stack,
)
from deploy_harness import Cli, FakeClock

pytestmark = pytest.mark.usefixtures("aws")
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information "
    "to create a change set."
)
TABLE = "AWS::DynamoDB::Table"
NESTED = "AWS::CloudFormation::Stack"
NESTED_NAME = "disa-dev-StorageStack-X"
UPDATE_STACK = {
    "StackName": "disa-dev",
    "Parameters": ANY,
    "Tags": ANY,
    "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    "TemplateBody": ANY,
}
TABLE_EXISTS = 'Resource handler returned message: "Table already exists: disa-dev-messages"'


def script_create(cfn: CfnScript) -> None:
    """From 'no stack' (or after a delete) to CREATE_COMPLETE, with a nested stack's events."""
    cfn.create_change_set("CREATE")
    cfn.change_set("CREATE_PENDING", [])
    cfn.change_set(
        "CREATE_COMPLETE", [change("Add", "StorageStack", NESTED, nested_cs=NESTED_CS_ID)]
    )
    cfn.change_set("CREATE_COMPLETE", [change("Add", "Table", TABLE)], cs_id=NESTED_CS_ID)
    review = event(0, "disa-dev", "REVIEW_IN_PROGRESS", physical=ROOT_ID)
    cfn.events(review)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    started = event(1, "disa-dev", "CREATE_IN_PROGRESS", physical=ROOT_ID)
    nested = event(2, "StorageStack", "CREATE_IN_PROGRESS", physical=NESTED_ID)
    n1 = event(3, NESTED_NAME, "CREATE_IN_PROGRESS", physical=NESTED_ID, stack_id=NESTED_ID)
    n2 = event(
        4, "Table", "CREATE_COMPLETE", TABLE, physical="disa-dev-messages", stack_id=NESTED_ID
    )
    cfn.events(review, started, nested)
    cfn.events(n1, n2, stack_id=NESTED_ID)  # revealed by the root's event: read in the same poll
    cfn.describe(stack("CREATE_IN_PROGRESS"))
    cfn.events(review, started, nested)  # a quiet poll: the heartbeat speaks
    cfn.events(n1, n2, stack_id=NESTED_ID)
    cfn.describe(stack("CREATE_IN_PROGRESS"))
    done = event(5, "disa-dev", "CREATE_COMPLETE", physical=ROOT_ID)
    cfn.events(review, started, nested, done)
    cfn.events(n1, n2, stack_id=NESTED_ID)
    cfn.describe(stack("CREATE_COMPLETE", outputs={"TableName": "disa-dev-messages"}))
    cfn.events(review, started, nested, done)
    cfn.events(n1, n2, stack_id=NESTED_ID)


def test_absent_stack_is_created_with_nested_events_streamed(stubbed: Cli, cfn: CfnScript) -> None:
    cfn.store_ready()
    cfn.missing()
    script_create(cfn)

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert "Add     StorageStack (AWS::CloudFormation::Stack)" in result.stdout
    assert "    Add     Table (AWS::DynamoDB::Table)" in result.stdout  # nested change set
    lines = result.stderr.splitlines()
    assert any(
        "disa-dev/StorageStack" in line and "Table (AWS::DynamoDB::Table)" in line for line in lines
    )
    assert any(line.startswith("... disa-dev CREATE_IN_PROGRESS") for line in lines)  # heartbeat
    assert "TableName  disa-dev-messages" in result.stdout


def test_review_in_progress_is_created(stubbed: Cli, cfn: CfnScript) -> None:
    cfn.store_ready()
    cfn.describe(stack("REVIEW_IN_PROGRESS"))
    script_create(cfn)

    assert stubbed("up", "--env", "dev").exit_code == 0


def test_owned_rollback_complete_is_deleted_and_recreated(stubbed: Cli, cfn: CfnScript) -> None:
    cfn.store_ready()
    cfn.describe(stack("ROLLBACK_COMPLETE", OLD_ID))
    old = event(9, "disa-dev", "ROLLBACK_COMPLETE", physical=OLD_ID, stack_id=OLD_ID)
    cfn.events(old, stack_id=OLD_ID)
    cfn.add("delete_stack", {}, {"StackName": OLD_ID})
    gone = event(10, "disa-dev", "DELETE_COMPLETE", physical=OLD_ID, stack_id=OLD_ID)
    cfn.events(old, gone, stack_id=OLD_ID)
    cfn.describe(stack("DELETE_COMPLETE", OLD_ID))
    cfn.events(old, gone, stack_id=OLD_ID)
    script_create(cfn)

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert "is ROLLBACK_COMPLETE (a failed create): deleting it" in result.stderr


@pytest.mark.parametrize(
    ("case", "status", "tags", "needle"),
    [
        ("rollback complete, not ours", "ROLLBACK_COMPLETE", {}, "does not carry this tool's tags"),
        (
            "create failed, other env",
            "CREATE_FAILED",
            {"disa:managed-by": "disa-deploy", "disa:env": "prod"},
            "aws cloudformation delete-stack",
        ),
        (
            "update rollback failed",
            "UPDATE_ROLLBACK_FAILED",
            None,
            "aws cloudformation continue-update-rollback --stack-name disa-dev --region us-east-1",
        ),
    ],
)
def test_stack_states_that_are_refused(
    stubbed: Cli, cfn: CfnScript, case: str, status: str, tags: dict[str, str] | None, needle: str
) -> None:
    cfn.store_ready()
    cfn.describe(stack(status, tags=tags))

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 3, result.output
    assert needle in result.stderr
    assert json.loads(result.stdout)["exit_code"] == 3


def test_in_progress_is_waited_for_then_an_empty_change_set_is_never_no_changes(
    stubbed: Cli, cfn: CfnScript, clock: FakeClock
) -> None:
    cfn.store_ready()
    cfn.describe(stack("UPDATE_IN_PROGRESS"))
    cfn.describe(stack("UPDATE_IN_PROGRESS"))
    cfn.describe(stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
    cfn.describe(stack("UPDATE_COMPLETE", params={"Env": "old"}))
    cfn.create_change_set("UPDATE")
    cfn.change_set("FAILED", [], reason=NO_CHANGES)
    cfn.add("delete_change_set", {}, {"ChangeSetName": CS_ID})
    # The deployed Env differs, so the empty change set is not believed: UpdateStack.
    last = event(0, "disa-dev", "UPDATE_COMPLETE", physical=ROOT_ID)
    cfn.events(last)
    cfn.add("update_stack", {"StackId": ROOT_ID}, UPDATE_STACK)
    done = event(2, "disa-dev", "UPDATE_COMPLETE", physical=ROOT_ID)
    cfn.events(last, event(1, "disa-dev", "UPDATE_IN_PROGRESS", physical=ROOT_ID), done)
    cfn.describe(stack("UPDATE_COMPLETE", outputs={"TableName": "t"}))
    cfn.events(last, done)

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 0, result.output
    assert "waiting for it to settle" in result.stderr
    assert len(clock.sleeps) == 2  # the settling polls
    assert "no changes:" not in result.stderr  # the no-op answer is never given
    assert re.search(r"^  Env +old -> dev$", result.stderr, re.M)  # the plan, before it runs
    assert "updating disa-dev directly: its change set listed no changes" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["changed"] is True and summary["outputs"] == {"TableName": "t"}
    assert summary["details"]["plan"]["steps"][0].startswith("update the stack directly")


def test_when_cloudformation_updates_nothing_although_values_differ_it_says_so(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.describe(stack("UPDATE_COMPLETE", params={"Env": "old"}))
    cfn.create_change_set("UPDATE")
    cfn.change_set("FAILED", [], reason=NO_CHANGES)
    cfn.add("delete_change_set", {}, {"ChangeSetName": CS_ID})
    cfn.events(event(0, "disa-dev", "UPDATE_COMPLETE", physical=ROOT_ID))
    cfn.error("update_stack", "ValidationError", "No updates are to be performed.")

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 4, result.output
    assert "CloudFormation finds nothing to update on disa-dev, yet it differs" in result.stderr
    assert "no changes:" not in result.stderr


def test_the_wait_before_deploying_ends_at_the_timeout(
    stubbed: Cli, cfn: CfnScript, clock: FakeClock
) -> None:
    stubbed.edge.poll_seconds = 25
    cfn.store_ready()
    for _ in range(5):  # the pre-flight look, then polls at 0, 25, 50 and 60 s (60 s budget)
        cfn.describe(stack("UPDATE_IN_PROGRESS"))

    result = stubbed("up", "--env", "dev", "--timeout", SIXTY_SECONDS, "--output", "json")

    assert result.exit_code == 5, result.output
    assert "disa-dev still UPDATE_IN_PROGRESS when --timeout ran out (60 s)" in result.stderr
    assert "follow it with `disa-deploy status --env dev`" in result.stderr
    assert "describe-stack-events --stack-name disa-dev --region us-east-1" in result.stderr
    assert sum(clock.sleeps) == 60
    assert json.loads(result.stdout)["exit_code"] == 5


def test_a_stateful_replacement_in_a_nested_stack_is_refused(stubbed: Cli, cfn: CfnScript) -> None:
    cfn.store_ready()
    cfn.describe(stack("UPDATE_COMPLETE"))
    cfn.create_change_set("UPDATE")
    cfn.change_set(
        "CREATE_COMPLETE", [change("Modify", "StorageStack", NESTED, "False", NESTED_CS_ID)]
    )
    cfn.change_set(
        "CREATE_COMPLETE", [change("Modify", "Table", TABLE, "True")], cs_id=NESTED_CS_ID
    )
    cfn.add("delete_change_set", {}, {"ChangeSetName": CS_ID})

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 3, result.output
    assert "refusing to replace or remove stateful resources" in result.stderr
    assert (
        "disa-dev/StorageStack: Modify Table (AWS::DynamoDB::Table) replacement=True"
        in result.stderr
    )
    assert "--allow-replace" in result.stderr
    assert (
        json.loads(result.stdout)["details"]["changes"][0]["children"][0]["replacement"] == "True"
    )


def test_a_nested_failure_reports_the_deepest_real_cause(stubbed: Cli, cfn: CfnScript) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    cfn.change_set("CREATE_COMPLETE", [change("Add", "StorageStack", NESTED)])
    review = event(0, "disa-dev", "REVIEW_IN_PROGRESS", physical=ROOT_ID)
    cfn.events(review)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    root_events = [
        review,
        event(1, "disa-dev", "CREATE_IN_PROGRESS", physical=ROOT_ID),
        event(2, "StorageStack", "CREATE_IN_PROGRESS", physical=NESTED_ID),
        event(3, "FunctionStack", "CREATE_IN_PROGRESS", physical=""),
        event(
            7,
            "StorageStack",
            "CREATE_FAILED",
            physical=NESTED_ID,
            reason=f"Embedded stack {NESTED_ID} was not successfully created: The following "
            "resource(s) failed to create: [Table].",
        ),
        event(8, "FunctionStack", "CREATE_FAILED", reason="Resource creation cancelled"),
        event(
            9,
            "disa-dev",
            "ROLLBACK_IN_PROGRESS",
            physical=ROOT_ID,
            reason="The following resource(s) failed to create: [StorageStack, FunctionStack].",
        ),
        event(12, "disa-dev", "ROLLBACK_COMPLETE", physical=ROOT_ID),
    ]
    nested_events = [
        event(4, NESTED_NAME, "CREATE_IN_PROGRESS", physical=NESTED_ID, stack_id=NESTED_ID),
        event(5, "Table", "CREATE_FAILED", TABLE, stack_id=NESTED_ID, reason=TABLE_EXISTS),
        event(
            6,
            "Alarm",
            "CREATE_FAILED",
            "AWS::CloudWatch::Alarm",
            stack_id=NESTED_ID,
            reason="Resource creation cancelled",
        ),
        event(10, NESTED_NAME, "ROLLBACK_COMPLETE", physical=NESTED_ID, stack_id=NESTED_ID),
    ]
    cfn.events(*root_events)
    cfn.events(*nested_events, stack_id=NESTED_ID)
    cfn.describe(stack("ROLLBACK_COMPLETE"))
    cfn.events(*root_events)
    cfn.events(*nested_events, stack_id=NESTED_ID)

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 4, result.output
    cause = json.loads(result.stdout)["root_cause"]
    assert cause == {
        "stack_path": "disa-dev/StorageStack",
        "logical_id": "Table",
        "resource_type": TABLE,
        "status": "CREATE_FAILED",
        "reason": TABLE_EXISTS,
    }
    block = result.stderr[result.stderr.index("Root cause:") :]
    assert "Embedded stack" not in block and "cancelled" not in block


def test_destroy_lists_resources_retained_by_policy(stubbed: Cli, cfn: CfnScript) -> None:
    cfn.describe(stack("UPDATE_COMPLETE"))
    cfn.add(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": "StorageStack",
                    "PhysicalResourceId": NESTED_ID,
                    "ResourceType": NESTED,
                    "LastUpdatedTimestamp": event(0, "x", "x")["Timestamp"],
                    "ResourceStatus": "UPDATE_COMPLETE",
                }
            ]
        },
    )
    cfn.add("list_stack_resources", {"StackResourceSummaries": []})
    last = event(0, "disa-dev", "UPDATE_COMPLETE", physical=ROOT_ID)
    cfn.events(last)
    cfn.add("delete_stack", {}, {"StackName": ROOT_ID})
    kept = event(
        3, "Table", "DELETE_SKIPPED", TABLE, physical="disa-dev-messages", stack_id=NESTED_ID
    )
    nested = event(2, "StorageStack", "DELETE_IN_PROGRESS", physical=NESTED_ID)
    done = event(4, "disa-dev", "DELETE_COMPLETE", physical=ROOT_ID)
    cfn.events(last, nested, done)
    cfn.events(kept, stack_id=NESTED_ID)
    cfn.describe(stack("DELETE_COMPLETE"))
    cfn.events(last, nested, done)
    cfn.events(kept, stack_id=NESTED_ID)

    result = stubbed("destroy", "--env", "dev", "--yes")

    assert result.exit_code == 0, result.output
    assert "nested: disa-dev/StorageStack" in result.stdout
    assert "disa-dev/StorageStack: Table (AWS::DynamoDB::Table) disa-dev-messages" in result.stdout
