"""The stateful guard and the root-cause pick (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deployer.cfn.changes import ChangeNode, build_tree, refused_changes
from deployer.cfn.diagnosis import PathEvent, find_root_cause
from deployer.gateways.cloudformation import StackEvent


@pytest.mark.parametrize(
    ("case", "action", "rtype", "replacement", "refused"),
    [
        ("table replaced", "Modify", "AWS::DynamoDB::Table", "True", True),
        ("key maybe replaced", "Modify", "AWS::KMS::Key", "Conditional", True),
        ("bucket removed", "Remove", "AWS::S3::Bucket", "", True),
        ("table modified in place", "Modify", "AWS::DynamoDB::Table", "False", False),
        ("table added", "Add", "AWS::DynamoDB::Table", "", False),
        ("function replaced", "Modify", "AWS::Lambda::Function", "True", False),
    ],
)
def test_stateful_guard(
    case: str, action: str, rtype: str, replacement: str, refused: bool
) -> None:
    nested = [{"Action": action, "LogicalResourceId": "R", "ResourceType": rtype,
               "Replacement": replacement}]  # fmt: skip
    root = [{"Action": "Modify", "LogicalResourceId": "Nested", "ChangeSetId": "cs-2",
             "ResourceType": "AWS::CloudFormation::Stack", "Replacement": "False"}]  # fmt: skip

    tree = build_tree("disa-dev", root, lambda cs: nested if cs == "cs-2" else [])

    found = refused_changes(tree)
    assert bool(found) is refused
    if refused:
        assert found[0] == ChangeNode("disa-dev/Nested", action, "R", rtype, replacement)


def _event(path: str, logical: str, status: str, reason: str, second: int) -> PathEvent:
    t = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=second)
    return PathEvent(path, StackEvent(f"e{second}", "id", logical, "", "T", status, reason, t))


def test_root_cause_is_the_deepest_earliest_real_failure() -> None:
    events = [
        _event(
            "root", "A", "CREATE_FAILED", "Embedded stack arn:x was not successfully created", 5
        ),
        _event(
            "root/A", "B", "CREATE_FAILED", "Embedded stack arn:y was not successfully created", 4
        ),
        _event("root/A/B", "Cancelled", "CREATE_FAILED", "Resource creation cancelled", 2),
        _event("root/A/B", "Role", "CREATE_FAILED", "AccessDenied: iam:CreateRole", 3),
        _event("root/A/B", "Later", "CREATE_FAILED", "Limit exceeded", 6),
        _event("root", "Other", "CREATE_FAILED", "Bucket name taken", 1),
    ]

    cause = find_root_cause(events)

    assert cause is not None
    assert (cause.stack_path, cause.logical_id) == ("root/A/B", "Role")


def test_only_noise_still_names_something() -> None:
    cause = find_root_cause(
        [_event("root", "A", "CREATE_FAILED", "Resource creation cancelled", 1)]
    )

    assert cause is not None and cause.logical_id == "A"
    assert find_root_cause([_event("root", "A", "CREATE_COMPLETE", "", 1)]) is None
