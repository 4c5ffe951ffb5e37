"""Stack deletion on the emulator keeps what AWS keeps: ``Retain`` and ``RetainExceptOnCreate``
resources stay (the table of an environment survives ``destroy``, and a later create meets
"already exists" as on AWS)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from deployer.local.patches import installed


def template(policy: str) -> str:
    table = {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": policy,
        "Properties": {
            "TableName": "kept",
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        },
    }
    return json.dumps({"Resources": {"Table": table}})


def tables_after_create_and_delete(policy: str) -> list[str]:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    cloudformation.create_stack(StackName="s", TemplateBody=template(policy))
    cloudformation.delete_stack(StackName="s")
    return list(boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"])


@pytest.mark.parametrize(
    ("case", "policy", "kept"),
    [
        ("retain except on create is kept on delete", "RetainExceptOnCreate", ["kept"]),
        ("retain is kept", "Retain", ["kept"]),
        ("delete deletes", "Delete", []),
    ],
)
@mock_aws
def test_stack_delete_keeps_what_aws_keeps(case: str, policy: str, kept: list[str]) -> None:
    with installed("retain_except_on_create"):
        assert tables_after_create_and_delete(policy) == kept
