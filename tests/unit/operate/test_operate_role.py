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

from tests.support.tool_calls import ITEM_READS, TABLE_KEY, TOOL_CALLS

ROLE = load_template(CFT / "deployer-role-stack.yaml")
EXAMPLE = {"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333",
           "Project": "disa", "Env": "dev"}  # fmt: skip
OPERATOR = "OperatorReadPolicy"
Call = tuple[str, str, tuple[str, ...] | None]  # action, resource, attributes read (or None)


def calls() -> list[Call]:
    """Every call of every command; an item read once per set of attributes it asks for."""
    found: set[Call] = set()
    for command, actions in TOOL_CALLS.items():
        for action, arns in actions.items():
            reads = ITEM_READS.get((command, action), tuple((arn, None) for arn in arns))
            for arn, attributes in reads:
                if (command, action, attributes) == ("trace", "dynamodb:GetItem", None):
                    continue  # its whole-item read may be refused: it falls back to OWNED
                found.add((action, arn, attributes))
    return sorted(found, key=str)


CALLS = calls()


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def filled(resource: Any) -> str:
    sub = resource["Fn::Sub"] if isinstance(resource, dict) else resource
    return re.sub(r"\$\{([^}]+)\}", lambda m: EXAMPLE[m.group(1)], sub)


def statements(policy: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in ROLE["Resources"].items():
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and policy in (None, logical_id):
            document = resource["Properties"]["PolicyDocument"]
            found += [(logical_id, s) for s in document["Statement"]]
    return found


def listed_attributes(statement: dict[str, Any]) -> list[str] | None:
    """The attributes a statement limits item reads to (None: no such condition)."""
    return (
        statement.get("Condition", {})
        .get("ForAllValues:StringEquals", {})
        .get("dynamodb:Attributes")
    )


def condition_allows(statement: dict[str, Any], attributes: tuple[str, ...] | None) -> bool:
    """IAM's answer for the conditions DISA's policies use on item reads; others: no."""
    condition = statement.get("Condition")
    if not condition:
        return True
    listed = listed_attributes(statement)
    known = {"ForAllValues:StringEquals": {"dynamodb:Attributes"},
             "StringEqualsIfExists": {"dynamodb:Select"}}  # fmt: skip
    if listed is None or any(set(keys) - known.get(op, set()) for op, keys in condition.items()):
        return False
    select = condition.get("StringEqualsIfExists", {}).get("dynamodb:Select")
    projected = attributes is not None
    return (
        projected
        and set(attributes or ()) <= set(listed)
        and select in (None, "SPECIFIC_ATTRIBUTES")
    )


def allowing(call: Call, policy: str | None = None) -> list[str]:
    """Policies with an Allow statement for the call, its resource and attributes."""
    action, arn, attributes = call
    return [
        logical_id
        for logical_id, s in statements(policy)
        if s["Effect"] == "Allow" and action in as_list(s["Action"])
        and any(fnmatchcase(arn, filled(r)) for r in as_list(s["Resource"]))
        and condition_allows(s, attributes)
    ]  # fmt: skip


@pytest.mark.parametrize(
    "call", CALLS, ids=[f"{c[0]} {c[1].split(':', 5)[-1]} {c[2]}" for c in CALLS]
)
def test_the_role_allows_every_call_of_the_operate_commands(call: Call) -> None:
    assert allowing(call), f"no statement allows {call}"


def test_the_operator_policy_repeats_no_grant_of_the_other_policies() -> None:
    for _, statement in statements(OPERATOR):
        mine = [c for c in CALLS if c[0] in as_list(statement["Action"])
                and OPERATOR in allowing(c, OPERATOR)]  # fmt: skip
        assert mine and any(allowing(c) == [OPERATOR] for c in mine), statement["Sid"]


def test_the_operator_policy_never_lets_an_item_read_return_a_body() -> None:
    for _, statement in statements(OPERATOR):
        if any(a.startswith("dynamodb:") for a in as_list(statement["Action"])):
            listed = listed_attributes(statement)
            assert listed is not None and "message" not in listed, statement["Sid"]


def test_the_operator_policys_attribute_lists_are_what_its_calls_read() -> None:
    for _, statement in statements(OPERATOR):
        listed = listed_attributes(statement)
        if listed is None:
            continue
        served = {name for call in CALLS if allowing(call, OPERATOR) for name in call[2] or ()
                  if call[0] in as_list(statement["Action"])}  # fmt: skip
        assert set(listed) == served, statement["Sid"]


def test_the_operator_policy_grants_only_operate_calls_each_on_a_resource_they_touch() -> None:
    for _, statement in statements(OPERATOR):
        assert statement["Effect"] == "Allow"
        assert set(statement.get("Condition", {})) <= {"ForAllValues:StringEquals",
                                                       "StringEqualsIfExists"}  # fmt: skip
        for action in as_list(statement["Action"]):
            touched = [arn for a, arn, _ in CALLS if a == action]
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
