"""What makes a saved plan stale, fact by fact, against a small fake CloudFormation: the
stack's identity, state, last update and deployed template; the change set's existence,
state, template, parameters, tags and change tree. (The functional tests drive the same
checks end to end on moto; here each one is shown to be a guard of its own.)"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import pytest

from deployer.cfn.changes import ChangeNode
from deployer.cfn.plan import (
    MASK,
    ChangeSetRef,
    ExecuteChangeSet,
    Plan,
    StackAction,
    StackSnapshot,
    Target,
    sha256_text,
)
from deployer.gateways.cloudformation import ChangeSetInfo, StackInfo
from deployer.usecases.saved_plan import change_set_moved, stack_moved
from deployer.usecases.waiting import Deadline

TEMPLATE = "Resources: {}\n"
STACK_ID, CS_ID = "arn:stack/disa-dev/1", "arn:changeSet/cs/1"
WHEN = "2024-05-01T12:00:00+00:00"
TREE = (ChangeNode("disa-dev", "Modify", "LambdaStack", "AWS::CloudFormation::Stack", ""),)
CHANGES = ({"Action": "Modify", "LogicalResourceId": "LambdaStack",
            "ResourceType": "AWS::CloudFormation::Stack"},)  # fmt: skip


@dataclass
class FakeStacks:
    deployed: str = TEMPLATE
    change_set: ChangeSetInfo | None = None
    templates: dict[str | None, str] = field(default_factory=dict)

    def template_body(self, name: str, change_set_id: str | None = None) -> str:
        return self.templates.get(change_set_id, self.deployed)

    def find_change_set(self, change_set_id: str) -> ChangeSetInfo | None:
        return self.change_set


def runtime(stacks: FakeStacks) -> Any:
    config = SimpleNamespace(stack_name="disa-dev", region="us-east-1", name="dev")
    return SimpleNamespace(config=config, stacks=stacks, clock=lambda: 0.0, poll_seconds=1.0)


def plan() -> Plan:
    return Plan(
        target=Target("dev", "disa", "disa-dev", "123456789012", "us-east-1"),
        action=StackAction.UPDATE,
        template_sha256=sha256_text(TEMPLATE),
        artifacts=(),
        parameters=(("MaxAttempts", "7"), ("Token", MASK)),
        tags=(("team", "a"),),
        termination_protection=False,
        changes=TREE,
        steps=(ExecuteChangeSet(ChangeSetRef(CS_ID, "UPDATE", STACK_ID)),),
        stack=StackSnapshot(STACK_ID, "UPDATE_COMPLETE", WHEN, sha256_text(TEMPLATE)),
    )


def info(**changes: Any) -> ChangeSetInfo:
    base = ChangeSetInfo(CS_ID, "CREATE_COMPLETE", "", "AVAILABLE", CHANGES, "disa-dev", STACK_ID,
                         {"MaxAttempts": "7", "Token": "****"}, {"team": "a"})  # fmt: skip
    return replace(base, **changes)


def stack(**changes: Any) -> StackInfo:
    return replace(StackInfo("disa-dev", STACK_ID, "UPDATE_COMPLETE", last_updated=WHEN), **changes)


def test_an_unmoved_stack_and_change_set_pass() -> None:
    stacks = FakeStacks(change_set=info())
    rt = runtime(stacks)

    assert stack_moved(rt, plan(), stack()) == []
    assert change_set_moved(rt, plan(), plan().change_set, Deadline(0.0, 60.0)) == []


@pytest.mark.parametrize(
    ("case", "now", "deployed", "words"),
    [
        ("gone", None, TEMPLATE, "disa-dev no longer exists"),
        ("another stack of that name", stack(stack_id="arn:stack/disa-dev/2"), TEMPLATE, "id "),
        ("in progress", stack(status="UPDATE_IN_PROGRESS"), TEMPLATE, "status UPDATE_COMPLETE"),
        (
            "updated since",
            stack(last_updated="2024-05-02T00:00:00+00:00"),
            TEMPLATE,
            "last updated",
        ),
        ("another template", stack(), "Resources: {X: 1}\n", "deployed template changed"),
    ],  # fmt: skip
)
def test_a_stack_that_moved_is_named(
    case: str, now: StackInfo | None, deployed: str, words: str
) -> None:
    (reason,) = stack_moved(runtime(FakeStacks(deployed=deployed)), plan(), now)

    assert words in reason


@pytest.mark.parametrize(
    ("case", "answer", "templates", "words"),
    [
        ("deleted", None, {}, "no longer exists"),
        (
            "already executed",
            info(execution_status="EXECUTE_COMPLETE"),
            {},
            "is CREATE_COMPLETE/EXECUTE_COMPLETE, not executable",
        ),
        ("another stack's", info(stack_id="arn:stack/other/1"), {}, "belongs to another stack"),
        (
            "another template",
            info(),
            {CS_ID: "Resources: {Y: 1}\n"},
            "deploys another template than this tree's",
        ),
        (
            "other parameters",
            info(parameters={"MaxAttempts": "9", "Token": "****"}),
            {},
            "passes other parameter values (MaxAttempts)",
        ),
        ("other tags", info(tags={"team": "b"}), {}, "carries other tags"),
        ("other changes", info(changes=()), {}, "now lists other changes than the plan"),
    ],  # fmt: skip
)
def test_a_change_set_that_moved_is_named(
    case: str, answer: ChangeSetInfo | None, templates: dict[str | None, str], words: str
) -> None:
    rt = runtime(FakeStacks(change_set=answer, templates=templates))

    (reason,) = change_set_moved(rt, plan(), plan().change_set, Deadline(0.0, 60.0))

    assert words in reason


def test_a_first_create_must_find_the_stack_its_change_set_made_still_in_review() -> None:
    first = replace(plan(), action=StackAction.CREATE, stack=None)
    rt = runtime(FakeStacks())

    assert stack_moved(rt, first, stack(status="REVIEW_IN_PROGRESS")) == []
    assert stack_moved(rt, first, stack(status="CREATE_COMPLETE")) == [
        "disa-dev is now CREATE_COMPLETE"
    ]
    assert stack_moved(rt, first, None) == ["disa-dev is not the stack the plan's change set made"]
