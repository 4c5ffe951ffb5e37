"""Fixtures for the handler tests: a moto account holding DISA's table (stream + retry
index), topic, alarm and a trivial Pass state machine (the real ASL is tested elsewhere);
the handlers' Container on a fresh session (passed to every lambda_handler: nothing global
is reset); a recorder of the handlers' AWS calls; failure injection; and a log check that
runs after every test: stdout is JSON lines only and never holds a message body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from disa_common import model
from disa_common.container import Container
from handler_support import (
    ACCOUNT,
    ALARM,
    BODY,
    ENVIRONMENT,
    NAMESPACE,
    PASS_DEFINITION,
    REGION,
    STATE_MACHINE,
    TABLE,
    TOPIC,
    CallRecorder,
    LogLines,
    Stream,
    aws_client,
    check_placeholders,
    fresh_session,
)
from moto import mock_aws

FailRule = Callable[[dict[str, Any]], bool]


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """A fresh moto account and a fresh handler container for every test."""
    for name, value in {
        "TABLE_NAME": TABLE,
        "METRIC_NAMESPACE": NAMESPACE,
        "ENVIRONMENT": ENVIRONMENT,
        "LOG_LEVEL": "INFO",
        "TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC}",
        "CIRCUIT_ALARM_NAME": ALARM,
        "STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STATE_MACHINE}",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        session = fresh_session()
        session.events.register("before-parameter-build.dynamodb", check_placeholders)
        yield Container(session)


@pytest.fixture
def container(aws: Container) -> Container:
    """The handlers' container: pass it as a lambda_handler's third argument."""
    return aws


@pytest.fixture(autouse=True)
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[LogLines]:
    captured = LogLines(capsys)
    yield captured
    captured.lines()  # drain what the test did not read, so it is checked too
    assert BODY not in captured.text, "a message body reached the logs"


@pytest.fixture
def ddb(aws: Container) -> Any:
    return aws_client("dynamodb")


@pytest.fixture
def table(ddb: Any) -> str:
    """The messages table as the templates define it; returns its stream ARN."""
    answer = ddb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": model.KEY, "AttributeType": "S"},
            {"AttributeName": model.RETRY_SHARD, "AttributeType": "S"},
            {"AttributeName": model.NEXT_ATTEMPT_AT, "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": model.KEY, "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        GlobalSecondaryIndexes=[
            {
                "IndexName": model.RETRY_INDEX,
                "KeySchema": [
                    {"AttributeName": model.RETRY_SHARD, "KeyType": "HASH"},
                    {"AttributeName": model.NEXT_ATTEMPT_AT, "KeyType": "RANGE"},
                ],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": [model.RUN, model.ATTEMPTS],
                },
            }
        ],
    )
    return str(answer["TableDescription"]["LatestStreamArn"])


@pytest.fixture
def state_machine(aws: Container) -> str:
    sfn = aws_client("stepfunctions")
    answer = sfn.create_state_machine(
        name=STATE_MACHINE,
        definition=PASS_DEFINITION,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/disa-test-sfn",
    )
    return str(answer["stateMachineArn"])


@pytest.fixture
def topic(aws: Container) -> str:
    return str(aws_client("sns").create_topic(Name=TOPIC)["TopicArn"])


@pytest.fixture
def subscriber(topic: str) -> Callable[[], list[dict[str, Any]]]:
    """An SQS queue subscribed to the topic; returns a reader of the SNS envelopes."""
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="disa-test-subscriber")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    aws_client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])

    def read() -> list[dict[str, Any]]:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]

    return read


@pytest.fixture
def alarm(aws: Container) -> Callable[[str], None]:
    """The circuit breaker's alarm (state OK); call the fixture's value to set a state."""
    cloudwatch = aws_client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=ALARM,
        Namespace=NAMESPACE,
        MetricName="PublishFailures",
        Dimensions=[{"Name": "Environment", "Value": ENVIRONMENT}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )

    def set_state(state: str) -> None:
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue=state, StateReason="test")

    set_state("OK")
    return set_state


@pytest.fixture
def stream(table: str) -> Stream:
    return Stream(table)


@pytest.fixture
def calls(aws: Container) -> CallRecorder:
    """Records the handlers' calls (hooks on the shared session reach every new client)."""
    recorder = CallRecorder()
    aws.session.events.register("before-call", recorder)
    return recorder


@pytest.fixture
def fail_calls(aws: Container) -> Callable[[str, str, FailRule], None]:
    """Make the handlers' ``service.Operation`` calls fail with ``code`` where ``when(params)``.

    Hooks the API parameters before they are sent, so the call never reaches moto.
    """

    def install(operation: str, code: str, when: FailRule = lambda params: True) -> None:
        service_id, name = operation.split(".")

        def hook(params: dict[str, Any], **_: Any) -> None:
            if when(params):
                raise ClientError({"Error": {"Code": code, "Message": "injected"}}, name)

        aws.session.events.register(f"before-parameter-build.{service_id}.{name}", hook)

    return install
