"""The deployer role may make every call of the operate commands, and no more than that.

Resources are checked the way IAM matches them: each statement's ARN pattern, filled for
an example env, must match (``*``/``?`` wildcards) the ARN the call touches, as listed in
the one table of tool calls (tests/support/tool_calls.py).
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from support.cfn_yaml import CFT, load_template

from tests.support.tool_calls import TABLE_KEY, TOOL_CALLS

ROLE = load_template(CFT / "deployer-role-stack.yaml")
EXAMPLE = {"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333",
           "Project": "disa", "Env": "dev"}  # fmt: skip
OPERATOR = "OperatorReadPolicy"
CALLS = sorted({(action, arn) for calls in TOOL_CALLS.values()
                for action, arns in calls.items() for arn in arns})  # fmt: skip


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def filled(resource: Any) -> str:
    sub = resource["Fn::Sub"] if isinstance(resource, dict) else resource
    return re.sub(r"\$\{([^}]+)\}", lambda m: EXAMPLE[m.group(1)], sub)


def statements(policy: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in ROLE["Resources"].items():
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and policy in (None, logical_id):
            found += [
                (logical_id, s) for s in resource["Properties"]["PolicyDocument"]["Statement"]
            ]
    return found


def allowing(action: str, arn: str, policy: str | None = None) -> list[str]:
    """Policies with an unconditioned Allow statement for ``action`` on ``arn``."""
    return [
        logical_id
        for logical_id, s in statements(policy)
        if s["Effect"] == "Allow" and action in as_list(s["Action"]) and "Condition" not in s
        and any(fnmatchcase(arn, filled(r)) for r in as_list(s["Resource"]))
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("action", "arn"), CALLS, ids=[f"{a} {r.split(':', 5)[-1]}" for a, r in CALLS]
)
def test_the_role_allows_every_call_of_the_operate_commands(action: str, arn: str) -> None:
    assert allowing(action, arn), f"no statement allows {action} on {arn}"


def test_each_call_is_allowed_once_so_the_operator_policy_repeats_nothing() -> None:
    for action, arn in CALLS:
        assert len(allowing(action, arn)) == 1, (action, arn, allowing(action, arn))


def test_the_operator_policy_grants_only_operate_calls_each_on_a_resource_they_touch() -> None:
    for _, statement in statements(OPERATOR):
        assert statement["Effect"] == "Allow" and "Condition" not in statement
        for action in as_list(statement["Action"]):
            touched = [arn for a, arn in CALLS if a == action]
            assert touched, f"{action} is no operate command's call"
            for resource in as_list(statement["Resource"]):
                pattern = filled(resource)
                assert "*" not in pattern.split(":")[4], pattern  # one account
                assert "disa-dev" in pattern, pattern  # one env's resources
                assert any(fnmatchcase(arn, pattern) for arn in touched), (action, pattern)


def test_the_operator_policy_is_writeless() -> None:
    actions = {a for _, s in statements(OPERATOR) for a in as_list(s["Action"])}

    assert all(re.match(r"^[a-z]+:(Describe|Get|BatchGet|Scan|Filter)", a) for a in actions)


def test_the_tables_key_may_be_used_for_this_envs_keys_only() -> None:
    # The messages table is encrypted with the env's key; only keys tagged for this env.
    keyed = [s for _, s in statements() if TABLE_KEY in as_list(s["Action"])]
    key_arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert any(
        any(fnmatchcase(key_arn, filled(r)) for r in as_list(s["Resource"]))
        and s.get("Condition", {}).get("StringEquals", {}).get("aws:ResourceTag/Environment")
        == {"Ref": "Env"}
        for s in keyed
    )


def _dashboard_handler_permissions() -> set[str]:
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    name = index["AWS::CloudWatch::Dashboard"]
    schema = json.loads((schemas / "resources" / f"{name}.json").read_text(encoding="utf-8"))
    return {p for verb in ("create", "read", "update", "delete")
            for p in schema["handlers"][verb]["permissions"]}  # fmt: skip


def test_the_role_may_deploy_exactly_the_envs_dashboard() -> None:
    (statement,) = [s for _, s in statements("DashboardPolicy")]

    assert set(as_list(statement["Action"])) == _dashboard_handler_permissions()
    assert filled(statement["Resource"]) == "arn:aws:cloudwatch::111122223333:dashboard/disa-dev"
    alarm = load_template(CFT / "nested-stacks" / "cw-custom-metric-alarm-stack.yaml")
    name = alarm["Resources"]["Dashboard"]["Properties"]["DashboardName"]
    assert filled(name) == "disa-dev"
