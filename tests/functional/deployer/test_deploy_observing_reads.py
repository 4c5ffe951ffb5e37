"""Reads that only observe survive throttling and broken replies beyond the SDK's retries:
the tool backs off, keeps watching, says how long it could not see, and the stack's final
status decides the exit code. What fails before execution starts leaves nothing behind."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.parsers import ResponseParserError
from cfn_script import (
    CS_ID,
    ROOT_ID,
    SIXTY_SECONDS,
    TABLE_TYPE,
    CfnScript,
    change,
    cleanup_of_a_created_stack,
    event,
    stack,
    up_to_execution,
)
from deploy_harness import Cli, FakeClock

pytestmark = pytest.mark.usefixtures("aws")
OUTPUTS = {"TableName": "disa-dev-messages"}


def events_of_a_create(review: dict[str, object]) -> list[dict[str, object]]:
    return [
        review,
        event(1, "disa-dev", "CREATE_IN_PROGRESS", physical=ROOT_ID),
        event(2, "Table", "CREATE_COMPLETE", TABLE_TYPE, physical="disa-dev-messages"),
        event(3, "disa-dev", "CREATE_COMPLETE", physical=ROOT_ID),
    ]


def test_a_throttled_events_read_during_a_successful_deploy_still_exits_0_with_the_gap_said(
    stubbed: Cli, cfn: CfnScript, clock: FakeClock
) -> None:
    review = up_to_execution(cfn)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    all_events = events_of_a_create(review)
    cfn.events(*all_events[:2])
    cfn.describe(stack("CREATE_IN_PROGRESS"))
    cfn.throttle("describe_stack_events")  # at 5 s, then back off 10 s
    cfn.describe(stack("CREATE_IN_PROGRESS"))
    cfn.throttle("describe_stack_events")  # at 15 s, then back off 20 s
    cfn.describe(stack("CREATE_IN_PROGRESS"))
    cfn.events(*all_events)  # at 35 s: reads are back
    cfn.describe(stack("CREATE_COMPLETE", outputs=OUTPUTS))
    cfn.events(*all_events)

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 0, result.output
    assert "events unavailable for 30 s: throttled" in result.stderr
    assert clock.sleeps == [5, 10, 20]
    printed = [line for line in result.stderr.splitlines() if line.startswith("12:00:0")]
    assert [line.split()[2] for line in printed] == [
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "CREATE_COMPLETE",
    ]  # each event once, in order, none lost in the gap
    assert json.loads(result.stdout)["outputs"] == OUTPUTS


def test_an_unreadable_stack_status_during_a_deploy_is_waited_out(
    stubbed: Cli, cfn: CfnScript
) -> None:
    review = up_to_execution(cfn)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    all_events = events_of_a_create(review)
    cfn.events(*all_events[:2])
    cfn.fail("describe_stacks", ResponseParserError("Unable to parse response (<html>)"))
    cfn.events(*all_events[:2])
    cfn.error("describe_stacks", "InternalFailure", "", 500)
    cfn.events(*all_events)
    cfn.describe(stack("CREATE_COMPLETE", outputs=OUTPUTS))
    cfn.events(*all_events)

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert "status of disa-dev unavailable for 30 s: server error" in result.stderr
    assert "TableName  disa-dev-messages" in result.stdout


def test_events_still_unreadable_at_the_end_leave_the_final_status_to_decide(
    stubbed: Cli, cfn: CfnScript
) -> None:
    review = up_to_execution(cfn)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    cfn.events(*events_of_a_create(review)[:2])
    cfn.describe(stack("CREATE_COMPLETE", outputs=OUTPUTS))
    for _ in range(4):  # every attempt at the last events
        cfn.throttle("describe_stack_events")

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert "events unavailable for 60 s: throttled; the last events of disa-dev were not read" in (
        result.stderr
    )


def test_a_refused_read_during_a_watch_ends_it_at_once(stubbed: Cli, cfn: CfnScript) -> None:
    review = up_to_execution(cfn)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    cfn.events(review)
    cfn.describe(stack("CREATE_IN_PROGRESS"))
    cfn.error("describe_stack_events", "ValidationError", "Stack [x] is not valid")

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 4, result.output
    assert "DescribeStackEvents" in result.stderr and "ValidationError" in result.stderr


def test_a_throttled_read_just_before_executing_is_retried_not_fatal(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    cfn.change_set("CREATE_COMPLETE", [change("Add", "Table", TABLE_TYPE)])
    cfn.throttle("describe_stack_events")
    review = event(0, "disa-dev", "REVIEW_IN_PROGRESS", physical=ROOT_ID)
    cfn.events(review)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    cfn.events(*events_of_a_create(review))
    cfn.describe(stack("CREATE_COMPLETE", outputs=OUTPUTS))
    cfn.events(*events_of_a_create(review))

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert f"events of {ROOT_ID} unavailable for 10 s: throttled" in result.stderr
    assert "DeleteChangeSet" not in cfn.calls


def test_a_read_before_executing_that_never_comes_back_leaves_no_change_set(
    stubbed: Cli, cfn: CfnScript
) -> None:
    stubbed.edge.poll_seconds = 25
    up_to_execution_without_marker(cfn)
    for _ in range(3):  # at 0, 30 and 60 s of a 60 s budget
        cfn.throttle("describe_stack_events")
    cleanup_of_a_created_stack(cfn)

    result = stubbed("up", "--env", "dev", "--timeout", SIXTY_SECONDS)

    assert result.exit_code == 5, result.output
    assert "ExecuteChangeSet" not in cfn.calls
    assert cfn.calls[-4:] == ["DeleteChangeSet", "DescribeStacks", "ListChangeSets", "DeleteStack"]


def test_a_refused_execution_leaves_no_change_set_and_no_empty_stack(
    stubbed: Cli, cfn: CfnScript
) -> None:
    up_to_execution(cfn)
    cfn.error("execute_change_set", "InsufficientCapabilitiesException", "Requires CAPABILITY_IAM")
    cleanup_of_a_created_stack(cfn)

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 4, result.output
    assert "InsufficientCapabilitiesException" in result.stderr
    assert cfn.calls[-4:] == ["DeleteChangeSet", "DescribeStacks", "ListChangeSets", "DeleteStack"]


def test_a_stack_under_review_that_this_run_did_not_make_is_kept(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.describe(stack("REVIEW_IN_PROGRESS"))
    cfn.create_change_set("CREATE")
    cfn.change_set("CREATE_COMPLETE", [change("Add", "Table", TABLE_TYPE)])
    cfn.events(event(0, "disa-dev", "REVIEW_IN_PROGRESS", physical=ROOT_ID))
    cfn.error("execute_change_set", "InsufficientCapabilitiesException", "Requires CAPABILITY_IAM")
    cfn.add("delete_change_set", {}, {"ChangeSetName": CS_ID})

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 4, result.output
    assert "DeleteStack" not in cfn.calls


def test_an_execution_whose_answer_was_lost_is_followed_when_it_started(
    stubbed: Cli, cfn: CfnScript
) -> None:
    review = up_to_execution(cfn)
    cfn.fail("execute_change_set", ReadTimeoutError(endpoint_url="https://cloudformation"))
    cfn.add(
        "describe_change_set",
        {
            "ChangeSetId": CS_ID,
            "Status": "CREATE_COMPLETE",
            "ExecutionStatus": "EXECUTE_IN_PROGRESS",
        },
        {"ChangeSetName": CS_ID},
    )
    cfn.events(*events_of_a_create(review))
    cfn.describe(stack("CREATE_COMPLETE", outputs=OUTPUTS))
    cfn.events(*events_of_a_create(review))

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert "execute change set: connection lost, yet it is EXECUTE_IN_PROGRESS" in result.stderr
    assert "DeleteStack" not in cfn.calls and "DeleteChangeSet" not in cfn.calls


def test_an_execution_whose_answer_was_lost_is_cleaned_up_when_it_never_started(
    stubbed: Cli, cfn: CfnScript
) -> None:
    up_to_execution(cfn)
    cfn.fail("execute_change_set", ResponseParserError("Unable to parse response (<html>)"))
    cfn.add(
        "describe_change_set",
        {"ChangeSetId": CS_ID, "Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE"},
        {"ChangeSetName": CS_ID},
    )
    cleanup_of_a_created_stack(cfn)

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 4, result.output
    assert (
        "cloudformation ExecuteChangeSet at https://cloudformation.us-east-1.amazonaws.com: "
        "not a valid AWS answer" in result.stderr
    )
    assert cfn.calls[-4:] == ["DeleteChangeSet", "DescribeStacks", "ListChangeSets", "DeleteStack"]


def up_to_execution_without_marker(cfn: CfnScript) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    cfn.change_set("CREATE_COMPLETE", [change("Add", "Table", TABLE_TYPE)])


def test_an_execution_whose_state_cannot_be_read_leaves_a_creating_stack_alone(
    stubbed: Cli, cfn: CfnScript
) -> None:
    up_to_execution(cfn)
    cfn.fail("execute_change_set", ReadTimeoutError(endpoint_url="https://cloudformation"))
    cfn.error("describe_change_set", "AccessDenied", "not allowed", 403)
    cfn.error("delete_change_set", "InvalidChangeSetStatus", "Change set is executing")
    cfn.add("describe_stacks", {"Stacks": [stack("CREATE_IN_PROGRESS")]}, {"StackName": ROOT_ID})

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 2, result.output
    assert "DeleteStack" not in cfn.calls  # the execution started: its stack is not ours to drop
