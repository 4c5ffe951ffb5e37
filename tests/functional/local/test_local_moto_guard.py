"""Fails loudly, naming the attribute, when a moto upgrade moves what the patches rely on.

Every patch in the registry declares the moto internals it uses (``requires``) and the
instance fields it reads (``fields``); these tests check both against the installed moto, and
that the registry's patches install and undo cleanly in this process.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from deployer.local.patches import REGISTRY, installed, missing_internals, patches, required_fields
from tests.functional.local.support import make_zip

TRUST = '{"Version": "2012-10-17", "Statement": []}'
REGION, ACCOUNT = "us-east-1", "123456789012"
STATE_MACHINE = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'


def test_every_patched_moto_attribute_still_exists() -> None:
    missing = missing_internals()

    assert missing == [], f"moto moved what deployer/local/patches needs: {missing}"


def test_every_registered_module_declares_its_patch() -> None:
    assert [patch.name for patch in patches()] == list(REGISTRY)
    assert all(patch.requires for patch in patches())


def _make_resources() -> None:
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="guard", AssumeRolePolicyDocument=TRUST
    )["Role"]["Arn"]
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="guard",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c): return 1"})},
    )
    stream = boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="guard",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    boto3.client("lambda", region_name=REGION).create_event_source_mapping(
        FunctionName="guard", EventSourceArn=stream, StartingPosition="LATEST"
    )
    boto3.client("events", region_name=REGION).put_rule(
        Name="guard", ScheduleExpression="rate(5 minutes)"
    )
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(
        StackName="guard", TemplateBody='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}'
    )
    cfn.create_change_set(
        StackName="guard-cs",
        ChangeSetName="guard",
        ChangeSetType="CREATE",
        TemplateBody='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}',
    )
    boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="guard", definition=STATE_MACHINE, roleArn=role
    )
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="guard")
    s3.put_object(Bucket="guard", Key="k", Body=b"v")


def _instances() -> dict[str, Any]:
    from moto.awslambda.models import lambda_backends
    from moto.cloudformation.models import cloudformation_backends
    from moto.dynamodb.models import dynamodb_backends
    from moto.events.models import events_backends
    from moto.s3.models import s3_backends
    from moto.stepfunctions.models import stepfunctions_backends

    _make_resources()
    lambdas = lambda_backends[ACCOUNT][REGION]
    dynamodb = dynamodb_backends[ACCOUNT][REGION]
    table = dynamodb.get_table("guard")
    cfn = cloudformation_backends[ACCOUNT][REGION]
    events = events_backends[ACCOUNT][REGION]
    bucket = s3_backends[ACCOUNT]["aws"].get_bucket("guard")
    return {
        "LambdaFunction": lambdas.get_function("guard"),
        "LambdaBackend": lambdas,
        "StreamShard": table.stream_shard,
        "Table": table,
        "DynamoDBBackend": dynamodb,
        "EventSourceMapping": next(iter(lambdas._event_source_mappings.values())),
        "Rule": events.event_buses["default"].rules["guard"],
        "EventsBackend": events,
        "EventBus": events.event_buses["default"],
        "Stack": next(iter(cfn.stacks.values())),
        "ResourceMap": next(iter(cfn.stacks.values())).resource_map,
        "CloudFormationBackend": cfn,
        "FakeChangeSet": next(iter(cfn.change_sets.values())),
        "StateMachine": stepfunctions_backends[ACCOUNT][REGION].state_machines[0],
        "FakeBucket": bucket,
        "FakeKey": bucket.keys["k"],
    }


@mock_aws
def test_every_instance_field_the_patches_read_still_exists() -> None:
    instances = _instances()
    wanted = required_fields()

    unknown_kinds = sorted(set(wanted) - set(instances))
    missing = [
        f"{kind}.{name}"
        for kind, names in wanted.items()
        if kind in instances
        for name in sorted(names)
        if not hasattr(instances[kind], name)
    ]

    assert unknown_kinds == [], f"the guard cannot build instances of {unknown_kinds}"
    assert missing == [], f"moto moved what deployer/local/patches reads: {missing}"


def moto_models(resource_type: str) -> bool:
    """Whether moto's CloudFormation has a model for the type (no reference kept)."""
    from moto.cloudformation import parsing

    return resource_type in parsing.get_model_map()


def test_installed_patches_are_undone_afterwards() -> None:
    from moto.s3.models import FakeBucket

    original = FakeBucket.create_from_cloudformation_json

    with installed("s3_public_access", "cfn_resources"):
        replaced = FakeBucket.create_from_cloudformation_json != original
        registered = moto_models("AWS::CloudWatch::Alarm")

    assert replaced and registered
    assert FakeBucket.create_from_cloudformation_json == original
    assert not moto_models("AWS::CloudWatch::Alarm")


@pytest.mark.parametrize("name", REGISTRY)
def test_each_patch_installs_and_undoes_without_an_emulator(name: str) -> None:
    with installed(name) as installer:
        assert installer.settings.start_threads is False
