"""A failure explains itself: a failed nested change set by the deepest one's own reason, a
failed execution by events printed in time order across root and nested stacks, so the
cause always prints before "Embedded stack ... was not successfully created"."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfn_script import (
    ACCOUNT,
    CS_ID,
    NESTED_CS_ID,
    NESTED_ID,
    ROOT_ID,
    TABLE_TYPE,
    CfnScript,
    change,
    cleanup_of_a_created_stack,
    event,
    stack,
    up_to_execution,
)
from deploy_harness import Cli

pytestmark = pytest.mark.usefixtures("aws")
NESTED = "AWS::CloudFormation::Stack"
DEEP_CS_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/deep/cs-3"
DEEP_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/disa-dev-Storage-X-Table-Y/deep-1"
TEMPLATE_ERROR = "Template error: instance of Fn::GetAtt references undefined resource Topic"
TABLE_EXISTS = 'Resource handler returned message: "Table already exists: disa-dev-messages"'


def blames(nested_cs: str) -> str:
    return f"Nested change set {nested_cs} was not successfully created: Currently in FAILED."


def failed_change_set(
    cfn: CfnScript, cs_id: str, reason: str, changes: list[dict[str, Any]], stack_name: str
) -> None:
    response = {
        "ChangeSetId": cs_id,
        "StackName": stack_name,
        "Status": "FAILED",
        "StatusReason": reason,
        "ExecutionStatus": "UNAVAILABLE",
        "Changes": changes,
    }
    cfn.add("describe_change_set", response, {"ChangeSetName": cs_id})


def test_a_failed_nested_change_set_is_explained_by_the_deepest_ones_own_reason(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    storage = change("Add", "StorageStack", NESTED, nested_cs=NESTED_CS_ID)
    failed_change_set(cfn, CS_ID, blames(NESTED_CS_ID), [storage], "disa-dev")
    table_stack = change("Add", "TableStack", NESTED, nested_cs=DEEP_CS_ID)
    failed_change_set(cfn, NESTED_CS_ID, blames(DEEP_CS_ID), [table_stack], "disa-dev-Storage-X")
    failed_change_set(cfn, DEEP_CS_ID, TEMPLATE_ERROR, [], "disa-dev-Storage-X-Table-Y")
    cleanup_of_a_created_stack(cfn)

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 4, result.output
    expected = (
        f"change set for disa-dev failed in disa-dev/StorageStack/TableStack: {TEMPLATE_ERROR}"
    )
    assert expected in result.stderr
    assert "Currently in FAILED" not in result.stderr
    assert json.loads(result.stdout)["error"] == expected
    assert "ExecuteChangeSet" not in cfn.calls


def test_a_nested_change_set_not_listed_among_the_changes_is_named_by_its_stack(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    failed_change_set(cfn, CS_ID, blames(NESTED_CS_ID), [], "disa-dev")
    failed_change_set(cfn, NESTED_CS_ID, TEMPLATE_ERROR, [], "disa-dev-Storage-X")
    cleanup_of_a_created_stack(cfn)

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 4, result.output
    assert f"failed in disa-dev/disa-dev-Storage-X: {TEMPLATE_ERROR}" in result.stderr


def three_stacks_failing() -> tuple[list[Any], list[Any], list[Any]]:
    """A create whose cause is two stacks deep, its events interleaved in time."""
    embedded = "Embedded stack {} was not successfully created: The following resource(s) failed"
    root = [
        event(1, "disa-dev", "CREATE_IN_PROGRESS", physical=ROOT_ID),
        event(2, "StorageStack", "CREATE_IN_PROGRESS", physical=NESTED_ID),
        event(9, "StorageStack", "CREATE_FAILED", physical=NESTED_ID,
              reason=embedded.format(NESTED_ID)),
        event(10, "disa-dev", "ROLLBACK_COMPLETE", physical=ROOT_ID),
    ]  # fmt: skip
    nested = [
        event(3, "disa-dev-Storage-X", "CREATE_IN_PROGRESS", physical=NESTED_ID,
              stack_id=NESTED_ID),
        event(4, "TableStack", "CREATE_IN_PROGRESS", physical=DEEP_ID, stack_id=NESTED_ID),
        event(8, "TableStack", "CREATE_FAILED", physical=DEEP_ID, stack_id=NESTED_ID,
              reason=embedded.format(DEEP_ID)),
    ]  # fmt: skip
    deep = [
        event(5, "disa-dev-Storage-X-Table-Y", "CREATE_IN_PROGRESS", stack_id=DEEP_ID),
        event(6, "Table", "CREATE_FAILED", TABLE_TYPE, stack_id=DEEP_ID, reason=TABLE_EXISTS),
        event(7, "Alarm", "CREATE_FAILED", "AWS::CloudWatch::Alarm", stack_id=DEEP_ID,
              reason="Resource creation cancelled"),
    ]  # fmt: skip
    return root, nested, deep


def printed_events(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("12:00:")]


def test_events_of_three_stacks_print_in_time_order_with_the_cause_first(
    stubbed: Cli, cfn: CfnScript
) -> None:
    review = up_to_execution(cfn)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    root, nested, deep = three_stacks_failing()
    for status in ("ROLLBACK_COMPLETE", None):  # the one poll, then the last read
        cfn.events(review, *root)
        cfn.events(*nested, stack_id=NESTED_ID)
        cfn.events(*deep, stack_id=DEEP_ID)
        if status:
            cfn.describe(stack(status))

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 4, result.output
    lines = printed_events(result.stderr)
    assert [line.split()[0] for line in lines] == [f"12:00:{n:02d}" for n in range(1, 11)]
    assert "disa-dev/StorageStack/TableStack" in lines[5] and TABLE_EXISTS in lines[5]
    assert json.loads(result.stdout)["root_cause"]["stack_path"] == (
        "disa-dev/StorageStack/TableStack"
    )


def test_a_throttled_nested_read_holds_the_poll_back_so_the_cause_still_prints_first(
    stubbed: Cli, cfn: CfnScript
) -> None:
    review = up_to_execution(cfn)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    root, nested, _ = three_stacks_failing()
    nested = [*nested[:1], event(6, "Table", "CREATE_FAILED", TABLE_TYPE, stack_id=NESTED_ID,
                                 reason=TABLE_EXISTS)]  # fmt: skip
    cfn.events(review, *root)
    cfn.throttle("describe_stack_events")  # the nested stack's read fails this poll
    cfn.describe(stack("ROLLBACK_IN_PROGRESS"))
    cfn.events(review, *root)
    cfn.events(*nested, stack_id=NESTED_ID)
    cfn.describe(stack("ROLLBACK_COMPLETE"))
    cfn.events(review, *root)
    cfn.events(*nested, stack_id=NESTED_ID)

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 4, result.output
    lines = printed_events(result.stderr)
    assert [line.split()[0] for line in lines] == [
        "12:00:01", "12:00:02", "12:00:03", "12:00:06", "12:00:09", "12:00:10"
    ]  # fmt: skip
    assert "events unavailable for 10 s: throttled" in result.stderr


def test_at_equal_times_the_deeper_stack_prints_first(stubbed: Cli, cfn: CfnScript) -> None:
    review = up_to_execution(cfn)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    embedded = f"Embedded stack {NESTED_ID} was not successfully created"
    root = [
        event(1, "StorageStack", "CREATE_IN_PROGRESS", physical=NESTED_ID),
        event(5, "StorageStack", "CREATE_FAILED", physical=NESTED_ID, reason=embedded),
    ]
    nested = [event(5, "Table", "CREATE_FAILED", TABLE_TYPE, stack_id=NESTED_ID,
                    reason=TABLE_EXISTS)]  # fmt: skip
    for status in ("ROLLBACK_COMPLETE", None):
        cfn.events(review, *root)
        cfn.events(*nested, stack_id=NESTED_ID)
        if status:
            cfn.describe(stack(status))

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 4, result.output
    lines = printed_events(result.stderr)
    assert TABLE_EXISTS in lines[1] and embedded in lines[2]
