"""The deployer role's item permissions are exactly what `send` and `status` request.

The role may write only {id, message} and read only status attributes
(cft/deployer-role-stack.yaml, conditions on ``dynamodb:Attributes``): if the tool asked
for more, every `up --smoke` in CI would be denied; if the role allowed more, CI could read
message bodies. Here the tool's real requests (recorded on moto) are held to the policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from support.cfn_yaml import CFT, load_template
from support.iam_policies import Resolver

from deployer.gateways.dynamodb import MessageTable
from deployer.usecases.follow import send_message

TABLE = "disa-dev-messages"
OPERATIONS = {"PutItem": "dynamodb:PutItem", "GetItem": "dynamodb:GetItem", "Scan": "dynamodb:Scan"}


def allowed_attributes() -> dict[str, set[str]]:
    """{IAM action: attributes the deployer role may touch with it}."""
    stack = load_template(CFT / "deployer-role-stack.yaml")
    policy = stack["Resources"]["DataAndMessagingPolicy"]["Properties"]["PolicyDocument"]
    found = {}
    for statement in Resolver(stack).resolve(policy)["Statement"]:
        condition = statement.get("Condition", {}).get("ForAllValues:StringEquals", {})
        if "dynamodb:Attributes" in condition:
            found[statement["Action"]] = set(condition["dynamodb:Attributes"])
    return found


def touched(operation: str, params: dict[str, Any]) -> set[str]:
    if operation == "PutItem":
        return set(params["Item"])
    projection = params.get("ProjectionExpression")
    if projection is None or params.get("Select") not in (None, "SPECIFIC_ATTRIBUTES"):
        return {"<every attribute>"}
    names = params.get("ExpressionAttributeNames", {})
    return {names.get(p, p) for p in re.split(r"\s*,\s*", projection.strip())}


@pytest.fixture
def requests() -> Iterator[tuple[Any, list[tuple[str, set[str]]]]]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        seen: list[tuple[str, set[str]]] = []

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            if model.name in OPERATIONS:
                seen.append((model.name, touched(model.name, params)))

        client.meta.events.register("provide-client-params.dynamodb.*", record)
        yield client, seen


def test_the_policy_lists_attributes_for_every_item_call_the_tool_makes() -> None:
    assert set(allowed_attributes()) == set(OPERATIONS.values())
    assert all("message" not in allowed_attributes()[a] for a in ("dynamodb:GetItem",
                                                                  "dynamodb:Scan"))  # fmt: skip


def test_send_writes_and_reads_only_what_the_deployer_role_may(requests: Any) -> None:
    client, seen = requests
    clock = iter(range(1000)).__next__
    result = send_message(MessageTable(client), None, "disa-dev", "hello",  # no stack needed
                          clock=lambda: float(clock()), sleep=lambda s: None, timeout=3,
                          table_name=TABLE)  # fmt: skip
    assert result.timed_out  # nothing processes the item here: only the requests matter
    allowed = allowed_attributes()
    assert {op for op, _ in seen} == {"PutItem", "GetItem"}
    for operation, attributes in seen:
        assert attributes <= allowed[OPERATIONS[operation]], (operation, attributes)


def test_status_scans_only_what_the_deployer_role_may(requests: Any) -> None:
    client, seen = requests
    client.put_item(TableName=TABLE, Item={"id": {"S": "a"}, "message": {"S": "secret"},
                                           "status": {"S": "Successful"}})  # fmt: skip
    seen.clear()  # the item above is the test's own write, not the tool's
    assert MessageTable(client).count_by_status(TABLE) == {"Successful": 1}
    ((operation, attributes),) = seen
    assert operation == "Scan"
    assert attributes <= allowed_attributes()["dynamodb:Scan"]
