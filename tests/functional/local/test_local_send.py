"""``send``: one user-shaped write, then the item's trail to a terminal status or timeout."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from deployer.errors import PreflightError
from deployer.gateways.cloudformation import StackGateway
from deployer.gateways.dynamodb import MessageTable
from deployer.usecases.follow import send_message


class FakeTable:
    """A DynamoDB client whose item walks through scripted statuses, one per read."""

    # What the gateway reads of a botocore client to name the call and judge the answer.
    meta = SimpleNamespace(
        method_to_api_mapping={"put_item": "PutItem", "get_item": "GetItem"},
        service_model=SimpleNamespace(service_name="dynamodb", protocol="json"),
        endpoint_url="http://fake",
    )

    def __init__(self, statuses: list[dict[str, str]]) -> None:
        self.statuses = statuses
        self.writes: list[dict[str, Any]] = []

    def put_item(self, **request: Any) -> dict[str, Any]:
        self.writes.append(request)
        return {}

    def get_item(self, **request: Any) -> dict[str, Any]:
        assert request["ConsistentRead"] is True
        fields = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        item = {"id": {"S": "m-1"}, "message": {"S": "hello"}}
        item.update({name: {"S": value} for name, value in fields.items()})
        return {"Item": item}


class FakeStacks:
    # What the gateway reads of a botocore client to name the call in an error.
    meta = SimpleNamespace(
        method_to_api_mapping={"describe_stacks": "DescribeStacks"},
        service_model=SimpleNamespace(service_name="cloudformation", protocol="query"),
        endpoint_url="http://fake",
    )

    def __init__(self, outputs: dict[str, str] | None) -> None:
        self.outputs = outputs

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        from botocore.exceptions import ClientError

        if self.outputs is None:
            error = {
                "Code": "ValidationError",
                "Message": f"Stack with id {StackName} does not exist",
            }
            raise ClientError({"Error": error}, "DescribeStacks")
        outputs = [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]
        stack = {
            "StackName": StackName,
            "StackId": f"id/{StackName}",
            "StackStatus": "CREATE_COMPLETE",
        }
        return {"Stacks": [{**stack, "Outputs": outputs}]}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def send(table: FakeTable, stacks: FakeStacks, timeout: float = 10) -> Any:
    clock = Clock()
    return send_message(MessageTable(table), StackGateway(stacks), "disa-local", "hello",
                        clock=clock, sleep=clock.sleep, timeout=timeout, poll_seconds=1,
                        new_id=lambda: "m-1")  # fmt: skip


def test_writes_only_id_and_message_and_follows_to_successful() -> None:
    table = FakeTable([
        {}, {"status": "Processing", "execution": "m-1-abc-r1"}, {"status": "Processing"},
        {"status": "Successful", "sns_message_id": "sns-1", "execution": "m-1-abc-r1"},
    ])  # fmt: skip

    result = send(table, FakeStacks({"TableName": "disa-local-messages"}))

    assert table.writes == [{
        "TableName": "disa-local-messages",
        "Item": {"id": {"S": "m-1"}, "message": {"S": "hello"}},
        "ConditionExpression": "attribute_not_exists(id)",
    }]  # fmt: skip
    assert [e.status for e in result.trail] == ["(written)", "Processing", "Successful"]
    assert [e.seconds for e in result.trail] == [0.0, 1.0, 3.0]
    assert result.succeeded and not result.timed_out
    assert (result.sns_message_id, result.execution) == ("sns-1", "m-1-abc-r1")


def test_failure_is_terminal_and_keeps_the_reason() -> None:
    result = send(FakeTable([{"status": "Failure", "reason": "NotFound"}]),
                  FakeStacks({"TableName": "t"}))  # fmt: skip

    assert (result.status, result.reason, result.succeeded) == ("Failure", "NotFound", False)


def test_gives_up_after_the_timeout() -> None:
    result = send(FakeTable([{"status": "Processing"}]), FakeStacks({"TableName": "t"}), timeout=5)

    assert result.timed_out
    assert result.status == "Processing"
    assert result.seconds == 5.0


@pytest.mark.parametrize(
    ("case", "outputs"), [("no stack", None), ("no TableName output", {"Other": "x"})]
)
def test_refuses_without_a_deployed_table(case: str, outputs: dict[str, str] | None) -> None:
    with pytest.raises(PreflightError):
        send(FakeTable([{}]), FakeStacks(outputs))
