"""disa_common.redrive without AWS: the writes each claim sends, what comes back, what is raised.

Fake clients stand in for DynamoDB and Step Functions and record each request, so these
pin the exact UpdateItem of each caller: the schedule's claim is the one disa_retry has
always sent (no shard write, the token read back), and an operator's asks nothing back, so
a role that may not read message bodies can run it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from disa_common import model, redrive
from disa_common.container import Container
from disa_common.kit import Deps
from disa_common.settings import Settings

TOKEN = "0123456789ab"
NOW = 2_000_000_000


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "Call")


class FakeClient:
    """Records each call's parameters; answers with ``answer`` or raises ``error``."""

    def __init__(self, answer: dict[str, Any] | None = None, error: str | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer, self.error = answer or {}, error

    def _call(self, **params: Any) -> dict[str, Any]:
        self.requests.append(params)
        if self.error:
            raise client_error(self.error)
        return self.answer

    update_item = start_execution = _call


def deps(ddb: FakeClient | None = None, sfn: FakeClient | None = None) -> Deps:
    settings = Settings(table_name="t", state_machine_arn="arn:sm", retry_shards=4,
                        retry_lease_seconds=900)  # fmt: skip
    clients = {"dynamodb": ddb or FakeClient(), "stepfunctions": sfn or FakeClient()}
    return Deps(settings, Container(clock=lambda: NOW, rand=lambda: 0.5, overrides=clients))


def test_the_schedules_claim_is_the_update_disa_retry_always_sent() -> None:
    ddb = FakeClient({"Attributes": {model.REQUEST: {"S": TOKEN}}})

    lease = redrive.claim(deps(ddb), redrive.due_claim("k", run=2, attempts=1, now=NOW))

    assert lease == redrive.Lease("k", TOKEN, 3, 2)
    (request,) = ddb.requests
    assert request["UpdateExpression"] == (
        "SET #status = :retrying, #run = :next_run, #next = :lease_end, #updated = :now,"
        " #request = if_not_exists(#request, :legacy)"
    )
    assert request["ConditionExpression"] == redrive.DUE
    assert request["ReturnValues"] == "ALL_NEW"
    values = request["ExpressionAttributeValues"]
    assert (values[":run"], values[":next_run"], values[":due"]) == ({"N": "2"}, {"N": "3"},
                                                                     {"N": str(NOW)})  # fmt: skip
    assert values[":lease_end"] == {"N": str(NOW + 900)}


def test_an_operators_claim_asks_nothing_back_and_writes_the_index_shard() -> None:
    ddb = FakeClient()
    wanted = redrive.operator_claim("k", model.Status.EXHAUSTED, 5, 5, TOKEN)

    lease = redrive.claim(deps(ddb), wanted)

    assert lease == redrive.Lease("k", TOKEN, 6, 1)
    (request,) = ddb.requests
    assert request["ReturnValues"] == "NONE"
    assert request["ConditionExpression"] == redrive.AS_READ
    assert request["UpdateExpression"] == (
        "SET #status = :retrying, #run = :next_run, #next = :lease_end, #updated = :now,"
        " #shard = :shard, #request = :request, #attempts = :zero"
    )
    assert request["ExpressionAttributeValues"][":shard"] == {"S": model.retry_shard("k", 4)}
    assert "message" not in request["ExpressionAttributeNames"].values()


def test_a_failed_item_is_claimed_with_its_attempts_kept() -> None:
    ddb = FakeClient()
    wanted = redrive.operator_claim("k", model.Status.FAILURE, 2, 2, TOKEN)

    assert redrive.claim(deps(ddb), wanted) == redrive.Lease("k", TOKEN, 3, 3)
    assert ":zero" not in ddb.requests[0]["ExpressionAttributeValues"]


def test_an_untokened_read_is_claimed_only_while_the_item_has_no_token() -> None:
    wanted = redrive.operator_claim("k", model.Status.EXHAUSTED, 5, 5, None)

    assert wanted.condition == redrive.AS_READ_UNTOKENED
    assert wanted.request == model.legacy_token("k")


def test_a_failed_condition_is_none_and_any_other_error_is_raised() -> None:
    wanted = redrive.operator_claim("k", model.Status.EXHAUSTED, 5, 5, TOKEN)
    refused = FakeClient(error="ConditionalCheckFailedException")
    assert redrive.claim(deps(refused), wanted) is None

    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        redrive.claim(deps(FakeClient(error="ProvisionedThroughputExceededException")), wanted)


def test_the_start_names_the_execution_by_item_request_and_run() -> None:
    sfn = FakeClient()
    lease = redrive.Lease("k", TOKEN, 6, 1)

    assert redrive.start(deps(sfn=sfn), lease) is True

    (request,) = sfn.requests
    assert request["name"] == model.execution_name("k", TOKEN, 6) == lease.execution
    assert request["stateMachineArn"] == "arn:sm"
    payload = json.loads(request["input"])
    assert (payload["run"], payload["attempt"], payload["request"]) == (6, 1, TOKEN)


def test_a_repeated_start_is_false_and_a_refused_one_raises() -> None:
    lease = redrive.Lease("k", TOKEN, 6, 1)
    assert redrive.start(deps(sfn=FakeClient(error="ExecutionAlreadyExists")), lease) is False
    with pytest.raises(ClientError, match="AccessDenied"):
        redrive.start(deps(sfn=FakeClient(error="AccessDeniedException")), lease)
