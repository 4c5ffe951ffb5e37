"""A miniature of DISA deployed by CloudFormation into the emulator: patches 3-6 together.

Nested-stack outputs through ``!GetAtt``/``!Sub``, a state machine loaded from S3 with
substitutions that really executes (Lambda task through patch 1, DynamoDB task), a rate
schedule that fires, and the resource types moto lacks (alarm, subscription, policies).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.functional.local.support import Clients, make_zip

MINI = Path(__file__).parent / "mini"
BUCKET = "mini-artifacts"


def upload(aws: Clients) -> dict[str, str]:
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    code = make_zip({"mini.py": (MINI / "mini.py").read_text()})
    s3.put_object(Bucket=BUCKET, Key="code/mini.zip", Body=code)
    s3.put_object(Bucket=BUCKET, Key="asl/v1.json", Body=(MINI / "state-machine.json").read_bytes())
    s3.put_object(Bucket=BUCKET, Key="asl/v2.json", Body=(MINI / "state-machine.json").read_bytes())
    s3.put_object(
        Bucket=BUCKET, Key="templates/store.yaml", Body=(MINI / "store.yaml").read_bytes()
    )
    return {
        "Bucket": BUCKET,
        "StoreTemplateUrl": f"https://{BUCKET}.s3.us-east-1.amazonaws.com/templates/store.yaml",
        "CodeKey": "code/mini.zip",
        "DefinitionKey": "asl/v1.json",
    }


def as_parameters(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]


@pytest.fixture(scope="module")
def mini(aws: Clients) -> dict[str, Any]:
    parameters = upload(aws)
    cfn = aws("cloudformation")
    cfn.create_stack(
        StackName="mini",
        TemplateBody=(MINI / "root.yaml").read_text(),
        Parameters=as_parameters(parameters),
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cfn.describe_stacks(StackName="mini")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    return {"outputs": outputs, "parameters": parameters}


def wait_for(probe: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"nothing after {timeout} s")


def run_execution(aws: Clients, machine_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = aws("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps(payload))[
        "executionArn"
    ]

    def finished() -> dict[str, Any] | None:
        execution = sfn.describe_execution(executionArn=arn)
        return None if execution["status"] == "RUNNING" else execution

    return dict(wait_for(finished))


def test_nested_outputs_resolve_in_getatt_and_sub(mini: dict[str, Any]) -> None:
    outputs = mini["outputs"]

    assert outputs["TableName"] == "mini-messages"
    assert outputs["StreamArn"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/")
    assert outputs["Described"] == "table mini-messages in us-east-1"
    assert outputs["StateMachineArn"].endswith(":stateMachine:mini-state-machine")


def test_function_environment_gets_the_nested_output(aws: Clients, mini: dict[str, Any]) -> None:
    config = aws("lambda").get_function_configuration(FunctionName="mini-worker")

    assert config["Environment"]["Variables"]["TABLE_NAME"] == "mini-messages"


def test_state_machine_from_s3_runs_lambda_and_dynamodb_tasks(
    aws: Clients, mini: dict[str, Any]
) -> None:
    item_id = f"ok-{uuid.uuid4()}"

    execution = run_execution(
        aws, mini["outputs"]["StateMachineArn"], {"id": item_id, "fail": False}
    )

    assert execution["status"] == "SUCCEEDED"
    item = aws("dynamodb").get_item(TableName="mini-messages", Key={"id": {"S": item_id}})["Item"]
    assert item["status"]["S"] == "Successful"
    assert item["sns_message_id"]["S"]
    inbox = aws("sqs")

    def delivered() -> list[str]:
        answer = inbox.receive_message(QueueUrl=mini["outputs"]["InboxUrl"], WaitTimeSeconds=1)
        return [m["Body"] for m in answer.get("Messages", [])]

    assert item_id in wait_for(delivered)


def test_catch_on_the_function_exception_class_records_failure(
    aws: Clients, mini: dict[str, Any]
) -> None:
    item_id = f"bad-{uuid.uuid4()}"

    execution = run_execution(
        aws, mini["outputs"]["StateMachineArn"], {"id": item_id, "fail": True}
    )

    assert execution["status"] == "SUCCEEDED"
    item = aws("dynamodb").get_item(TableName="mini-messages", Key={"id": {"S": item_id}})["Item"]
    assert item["status"]["S"] == "Failure"
    assert item["reason"]["S"] == "PublishError"


def test_enabled_rate_schedule_fires_and_disabled_one_does_not(
    aws: Clients, mini: dict[str, Any]
) -> None:
    sqs = aws("sqs")
    seen: list[dict[str, Any]] = []

    def ticks() -> bool:
        answer = sqs.receive_message(QueueUrl=mini["outputs"]["TicksUrl"], WaitTimeSeconds=1)
        seen.extend(json.loads(m["Body"]) for m in answer.get("Messages", []))
        return len(seen) >= 2

    wait_for(ticks, timeout=15)
    assert {tick["source"] for tick in seen} == {"aws.events"}
    assert not any(tick["paused"] for tick in seen)


def test_alarm_policies_and_subscription_exist(aws: Clients, mini: dict[str, Any]) -> None:
    alarms = aws("cloudwatch").describe_alarms(AlarmNames=["mini-publish-failures"])["MetricAlarms"]
    policy = aws("s3").get_bucket_policy(Bucket=BUCKET)["Policy"]
    subscriptions = aws("sns").list_subscriptions()["Subscriptions"]

    assert [a["AlarmArn"] for a in alarms] == [mini["outputs"]["AlarmArn"]]
    assert alarms[0]["StateValue"] in {"INSUFFICIENT_DATA", "OK"}
    assert "SecureTransport" in policy
    (inbox,) = [s for s in subscriptions if s["Endpoint"].endswith(":mini-inbox")]
    attributes = aws("sns").get_subscription_attributes(SubscriptionArn=inbox["SubscriptionArn"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":mini-inbox-dlq")


def test_update_keeps_nested_stack_data_and_loads_new_definition(
    aws: Clients, mini: dict[str, Any]
) -> None:
    dynamodb = aws("dynamodb")
    dynamodb.put_item(TableName="mini-messages", Item={"id": {"S": "survivor"}})
    cfn = aws("cloudformation")
    parameters = dict(mini["parameters"], DefinitionKey="asl/v2.json")
    template = (MINI / "root.yaml").read_text()

    cfn.update_stack(StackName="mini", TemplateBody=template, Parameters=as_parameters(parameters))

    assert "Item" in dynamodb.get_item(TableName="mini-messages", Key={"id": {"S": "survivor"}})
    status = cfn.describe_stacks(StackName="mini")["Stacks"][0]["StackStatus"]
    assert status == "UPDATE_COMPLETE"


BROKEN = """
Resources:
  Fine:
    Type: AWS::SQS::Queue
    Properties: {QueueName: broken-fine}
  Broken:
    Type: AWS::Lambda::Function
    DependsOn: Fine
    Properties:
      FunctionName: broken-fn
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/no-such-role
      Code: {ZipFile: "def handler(e, c): return 1"}
"""


def test_a_failing_resource_fails_the_stack_with_its_reason(aws: Clients) -> None:
    cfn = aws("cloudformation")

    cfn.create_stack(StackName="broken", TemplateBody=BROKEN)

    stack = cfn.describe_stacks(StackName="broken")["Stacks"][0]
    events = cfn.describe_stack_events(StackName="broken")["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert [(e["LogicalResourceId"], e["ResourceType"]) for e in failed] == [
        ("Broken", "AWS::Lambda::Function")
    ]
    assert failed[0]["ResourceStatusReason"]


CHANGE_SET = """
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: via-change-set}
Outputs:
  QueueUrl:
    Value: !Ref Queue
"""


def test_a_stack_created_by_change_set_has_its_outputs(aws: Clients) -> None:
    cfn = aws("cloudformation")
    cfn.create_change_set(
        StackName="via-change-set", ChangeSetName="create", ChangeSetType="CREATE",
        TemplateBody=CHANGE_SET,
    )  # fmt: skip

    cfn.execute_change_set(StackName="via-change-set", ChangeSetName="create")

    stack = cfn.describe_stacks(StackName="via-change-set")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert [o["OutputKey"] for o in stack["Outputs"]] == ["QueueUrl"]
    assert stack["Outputs"][0]["OutputValue"].endswith("/via-change-set")
