"""Each IAM role grants exactly the calls its component makes, on the narrowest resource.

The calls come from the one table (tests/support/aws_calls.py) the handler tests also check
against: CODE_CALLS for our own calls, PLATFORM_CALLS for those AWS makes with the role.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.aws_calls import CODE_CALLS, PLATFORM_CALLS
from support.cfn_yaml import CFT, load_template

IAM = load_template(CFT / "nested-stacks" / "iam-role-stack.yaml")
LAMBDA = load_template(CFT / "nested-stacks" / "lambda-function-stack.yaml")
ROOT = load_template(CFT / "disa-root-stack.yaml")

ROLES = [
    pytest.param("InitProcessRole", "disa_init_process", id="init-process"),
    pytest.param("ProcessRole", "disa_process", id="process"),
    pytest.param("RetryRole", "disa_retry", id="retry"),
    pytest.param("StateMachineRole", "state_machine", id="state-machine"),
]
# Which resource in the lambda stack assumes each role, and through which parameter.
USERS = {
    "InitProcessRole": ("InitProcessFunction", "Role", "InitProcessRoleArn"),
    "ProcessRole": ("ProcessFunction", "Role", "ProcessRoleArn"),
    "RetryRole": ("RetryFunction", "Role", "RetryRoleArn"),
    "StateMachineRole": ("StateMachine", "RoleArn", "StateMachineRoleArn"),
}


def statements(role_id: str) -> list[dict[str, Any]]:
    policies = IAM["Resources"][role_id]["Properties"]["Policies"]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted(role_id: str) -> set[str]:
    found: set[str] = set()
    for statement in statements(role_id):
        assert statement["Effect"] == "Allow"
        found |= set(as_list(statement["Action"]))
    return found


def resources_for(role_id: str, action: str) -> list[Any]:
    return [
        r
        for s in statements(role_id)
        if action in as_list(s["Action"])
        for r in as_list(s["Resource"])
    ]


def test_every_role_in_the_stack_is_covered_here() -> None:
    roles = {k for k, v in IAM["Resources"].items() if v["Type"] == "AWS::IAM::Role"}
    assert roles == set(USERS)


@pytest.mark.parametrize(("role_id", "component"), ROLES)
def test_role_grants_exactly_the_component_calls(role_id: str, component: str) -> None:
    assert granted(role_id) == CODE_CALLS[component] | PLATFORM_CALLS[component]


@pytest.mark.parametrize(("role_id", "component"), ROLES)
def test_code_calls_are_scoped_to_a_resource(role_id: str, component: str) -> None:
    for action in CODE_CALLS[component]:
        resources = resources_for(role_id, action)
        assert resources, action
        assert "*" not in resources, action


@pytest.mark.parametrize(("role_id", "component"), ROLES)
def test_key_use_is_limited_to_the_key_and_through_services(role_id: str, component: str) -> None:
    for statement in statements(role_id):
        if not any(a.startswith("kms:") for a in as_list(statement["Action"])):
            continue
        assert statement["Resource"] == {"Ref": "KmsKeyArn"}
        via = as_list(statement["Condition"]["StringEquals"]["kms:ViaService"])
        assert via and all(v["Fn::Sub"].endswith(".${AWS::Region}.amazonaws.com") for v in via)


@pytest.mark.parametrize(
    ("role_id", "action", "arn_suffix"),
    [
        pytest.param(
            "InitProcessRole",
            "states:StartExecution",
            ":stateMachine:${Project}-${Env}-state-machine",
            id="init-starts-the-state-machine",
        ),
        pytest.param(
            "RetryRole",
            "states:StartExecution",
            ":stateMachine:${Project}-${Env}-state-machine",
            id="retry-starts-the-state-machine",
        ),
        pytest.param(
            "InitProcessRole", "sqs:SendMessage", ":${Project}-${Env}-stream-dlq", id="init-dlq"
        ),
        pytest.param(
            "ProcessRole",
            "cloudwatch:DescribeAlarms",
            ":alarm:${Project}-${Env}-publish-failures",
            id="process-reads-only-the-circuit-alarm",
        ),
        pytest.param(
            "StateMachineRole",
            "lambda:InvokeFunction",
            ":function:${Project}-${Env}-process",
            id="state-machine-invokes-only-process",
        ),
        pytest.param(
            "RetryRole", "dynamodb:Query", "/index/retry-index", id="retry-queries-only-the-index"
        ),
    ],
)
def test_arns_built_from_contract_names(role_id: str, action: str, arn_suffix: str) -> None:
    (resource,) = resources_for(role_id, action)
    assert resource["Fn::Sub"].endswith(arn_suffix)


@pytest.mark.parametrize(
    ("role_id", "action", "expected"),
    [
        pytest.param("ProcessRole", "sns:Publish", {"Ref": "TopicArn"}, id="publish-one-topic"),
        pytest.param(
            "StateMachineRole", "dynamodb:UpdateItem", {"Ref": "TableArn"}, id="sfn-table"
        ),
        pytest.param(
            "InitProcessRole", "dynamodb:GetRecords", {"Ref": "TableStreamArn"}, id="stream"
        ),
    ],
)
def test_arns_from_nested_outputs(role_id: str, action: str, expected: dict[str, str]) -> None:
    assert resources_for(role_id, action) == [expected]


@pytest.mark.parametrize(("role_id", "component"), ROLES)
def test_each_role_is_assumed_by_its_own_component_only(role_id: str, component: str) -> None:
    resource_id, prop, parameter = USERS[role_id]
    assert LAMBDA["Resources"][resource_id]["Properties"][prop] == {"Ref": parameter}
    passed = ROOT["Resources"]["LambdaStack"]["Properties"]["Parameters"][parameter]
    assert passed == {"Fn::GetAtt": ["IamStack", f"Outputs.{parameter}"]}
    assert IAM["Outputs"][parameter]["Value"] == {"Fn::GetAtt": [role_id, "Arn"]}


@pytest.mark.parametrize(("role_id", "component"), ROLES)
def test_trust_policy_names_one_service(role_id: str, component: str) -> None:
    document = IAM["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]
    (trust,) = document["Statement"]
    service = "states" if component == "state_machine" else "lambda"
    assert trust["Principal"] == {"Service": f"{service}.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    if service == "states":
        assert trust["Condition"]["StringEquals"] == {
            "aws:SourceAccount": {"Ref": "AWS::AccountId"}
        }
        assert trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(
            ":stateMachine:${Project}-${Env}-state-machine"
        )
