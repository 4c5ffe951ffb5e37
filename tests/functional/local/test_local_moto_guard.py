"""Fails loudly, naming the attribute, when a moto upgrade moves what the patches rely on."""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from deployer.local.patches import REQUIRED_FIELDS, missing_internals
from tests.functional.local.support import make_zip

TRUST = '{"Version": "2012-10-17", "Statement": []}'


def test_every_patched_moto_attribute_still_exists() -> None:
    missing = missing_internals()

    assert missing == [], f"moto moved what deployer/local/patches needs: {missing}"


def _instances() -> dict[str, Any]:
    from moto.awslambda.models import lambda_backends
    from moto.cloudformation.models import cloudformation_backends
    from moto.dynamodb.models import dynamodb_backends
    from moto.events.models import events_backends

    region, account = "us-east-1", "123456789012"
    role = boto3.client("iam", region_name=region).create_role(
        RoleName="guard", AssumeRolePolicyDocument=TRUST
    )["Role"]["Arn"]
    boto3.client("lambda", region_name=region).create_function(
        FunctionName="guard",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c): return 1"})},
    )
    stream = boto3.client("dynamodb", region_name=region).create_table(
        TableName="guard",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    boto3.client("lambda", region_name=region).create_event_source_mapping(
        FunctionName="guard", EventSourceArn=stream, StartingPosition="LATEST"
    )
    boto3.client("events", region_name=region).put_rule(
        Name="guard", ScheduleExpression="rate(5 minutes)"
    )
    boto3.client("cloudformation", region_name=region).create_stack(
        StackName="guard",
        TemplateBody='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}',
    )
    lambdas = lambda_backends[account][region]
    table = dynamodb_backends[account][region].get_table("guard")
    return {
        "LambdaFunction": lambdas.get_function("guard"),
        "StreamShard": table.stream_shard,
        "Table": table,
        "EventSourceMapping": next(iter(lambdas._event_source_mappings.values())),
        "Rule": events_backends[account][region].event_buses["default"].rules["guard"],
        "Stack": next(iter(cloudformation_backends[account][region].stacks.values())),
    }


@mock_aws
def test_every_instance_field_the_patches_read_still_exists() -> None:
    instances = _instances()

    missing = [
        f"{kind}.{field}"
        for kind, fields in REQUIRED_FIELDS.items()
        for field in fields
        if not hasattr(instances[kind], field)
    ]

    assert missing == [], f"moto moved what deployer/local/patches reads: {missing}"
