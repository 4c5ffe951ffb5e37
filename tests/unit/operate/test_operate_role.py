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
from support.iam_policies import documents

from tests.support.tool_calls import ITEM_READS, ITEM_WRITES, TOOL_CALLS

ROLE = load_template(CFT / "deployer-role-stack.yaml")
OPERATOR = "OperatorReadPolicy"
Call = tuple[str, str, tuple[str, ...] | None]  # action, resource, attributes read (or None)


def calls() -> list[Call]:
    """Every call of every command; an item read once per set of attributes it asks for."""
    found: set[Call] = set()
    for command, actions in TOOL_CALLS.items():
        for action, arns in actions.items():
            default = tuple((arn, None) for arn in arns)
            reads = ITEM_READS.get((command, action)) or ITEM_WRITES.get((command, action), default)
            for arn, attributes in reads:
                if (command, action, attributes) == ("trace", "dynamodb:GetItem", None):
                    continue  # its whole-item read may be refused: it falls back to OWNED
                found.add((action, arn, attributes))
    return sorted(found, key=str)


CALLS = calls()


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _attached_to_deployer(logical_id: str) -> bool:
    roles = ROLE["Resources"][logical_id].get("Properties", {}).get("Roles") or []
    return {"Ref": "DeployerRole"} in roles


def statements(policy: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The deployer role's identity statements (intrinsics resolved for env disa-dev)."""
    found = []
    for doc in documents():
        if doc.template != "deployer-role-stack.yaml" or doc.kind != "identity":
            continue
        if _attached_to_deployer(doc.resource) and policy in (None, doc.resource):
            found += [(doc.resource, s) for s in doc.statements]
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
             "StringEqualsIfExists": {"dynamodb:Select", "dynamodb:ReturnValues"}}  # fmt: skip
    if listed is None or any(set(keys) - known.get(op, set()) for op, keys in condition.items()):
        return False
    if_exists = condition.get("StringEqualsIfExists", {})
    projected = attributes is not None
    return (
        projected
        and set(attributes or ()) <= set(listed)
        and if_exists.get("dynamodb:Select") in (None, "SPECIFIC_ATTRIBUTES")
        and if_exists.get("dynamodb:ReturnValues") in (None, "NONE")  # the tool asks none back
    )


def allows(statement: dict[str, Any], call: Call) -> bool:
    action, arn, attributes = call
    return (
        statement["Effect"] == "Allow"
        and any(fnmatchcase(action, a) for a in as_list(statement["Action"]))
        and any(fnmatchcase(arn, r) for r in as_list(statement["Resource"]))
        and condition_allows(statement, attributes)
    )


def allowing(call: Call, policy: str | None = None) -> list[str]:
    """Policies with an Allow statement for the call, its resource and attributes."""
    return [logical_id for logical_id, s in statements(policy) if allows(s, call)]


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
        served = {name for call in CALLS if allows(statement, call) for name in call[2] or ()}
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
                pattern = resource
                assert "*" not in pattern.split(":")[4], pattern  # one account
                assert "disa-dev" in pattern, pattern  # one env's resources
                assert any(fnmatchcase(arn, pattern) for arn in touched), (action, pattern)


def test_the_operator_policy_is_writeless() -> None:
    actions = {a for _, s in statements(OPERATOR) for a in as_list(s["Action"])}

    assert all(re.match(r"^[a-z]+:(Describe|Get|BatchGet|Scan|Filter)", a) for a in actions)


def test_the_env_key_lets_the_deployer_read_this_envs_items_through_dynamodb_only() -> None:
    # The messages table is encrypted with the env's key, and DynamoDB uses it as the
    # caller: the key policy (not an IAM policy) grants the deployer role kms:Decrypt, only
    # through DynamoDB and only for this env's table.
    (key_policy,) = [d for d in documents() if d.template == "artifact-store-stack.yaml"
                     and d.kind == "resource" and d.resource == "Key"]  # fmt: skip
    deployer = "arn:aws:iam::111122223333:role/ci/disa-dev-deployer-eu-west-1"
    granted = [s for s in key_policy.statements if s["Effect"] == "Allow"
               and deployer in as_list(s["Principal"].get("AWS"))
               and "kms:Decrypt" in as_list(s["Action"])]  # fmt: skip
    via_dynamodb = [s["Condition"]["StringEquals"] for s in granted
                    if s["Condition"]["StringEquals"].get("kms:ViaService")
                    == "dynamodb.eu-west-1.amazonaws.com"]  # fmt: skip
    assert [c.get("kms:EncryptionContext:aws:dynamodb:tableName") for c in via_dynamodb] == [
        "disa-dev-messages"
    ]


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
    assert statement["Resource"] == "arn:aws:cloudwatch::111122223333:dashboard/disa-dev"
    alarm = load_template(CFT / "nested-stacks" / "cw-custom-metric-alarm-stack.yaml")
    name = alarm["Resources"]["Dashboard"]["Properties"]["DashboardName"]
    assert name == {"Fn::Sub": "${Project}-${Env}"}


REDRIVE = "OperatorRedrivePolicy"
WRITES = ("dynamodb:UpdateItem", "states:StartExecution")


def test_the_redrive_policy_grants_exactly_the_claim_and_the_start() -> None:
    granted = {a for _, s in statements(REDRIVE) for a in as_list(s["Action"])}
    assert granted == set(WRITES)
    for _, statement in statements(REDRIVE):
        for resource in as_list(statement["Resource"]):
            assert "*" not in resource, resource  # one table, one state machine
        touched = [arn for a, arn, _ in CALLS if a in as_list(statement["Action"])]
        assert touched and all(arn in as_list(statement["Resource"]) for arn in touched)


def test_only_the_redrive_policy_lets_the_deployer_write_an_item_or_start_a_run() -> None:
    for logical_id, statement in statements():
        if logical_id != REDRIVE:
            assert not set(as_list(statement["Action"])) & set(WRITES), statement.get("Sid")


def test_the_redrive_claim_names_only_the_state_attributes_and_asks_nothing_back() -> None:
    (claim,) = [s for _, s in statements(REDRIVE) if s["Action"] == "dynamodb:UpdateItem"]
    written = {a for (command, action), rows in ITEM_WRITES.items()
               if (command, action) == ("redrive", "dynamodb:UpdateItem")
               for _, attributes in rows for a in attributes or ()}  # fmt: skip
    assert set(listed_attributes(claim) or ()) == written
    assert "message" not in written
    assert claim["Condition"]["StringEqualsIfExists"] == {"dynamodb:ReturnValues": "NONE"}
