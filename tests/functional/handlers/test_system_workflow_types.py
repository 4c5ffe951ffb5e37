"""The whole flow (real handlers, real state machine, on moto) under either workflow type.

EXPRESS runs an execution at least once and never refuses a repeated name: two executions
of one run may both start, and only one may publish (the claim belongs to the execution
instance). A run that dies after its claim leaves the item Processing under a lease; the
next disa_retry run after the lease re-drives it. An input without ``request`` (started by
a function older than request tokens, during an update) still runs.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from disa_common import model
from handler_support import BODY, TABLE
from system import System, published_per_message


@pytest.fixture(params=["STANDARD", "EXPRESS"])
def system(request, container, monkeypatch, stream, topic, alarm) -> System:
    flow = System(container, monkeypatch, workflow=request.param)
    flow.attach(stream)
    return flow


@pytest.fixture
def express(container, monkeypatch, stream, topic, alarm) -> System:
    flow = System(container, monkeypatch, workflow="EXPRESS")
    flow.attach(stream)
    return flow


def run_input(key: str, request: str | None, run: int = 1) -> dict[str, object]:
    shard = model.retry_shard(key, 4)
    payload: dict[str, object] = {
        "id": key, "run": run, "attempt": run, "retryAt": 1, "retryShard": shard
    }  # fmt: skip
    if request is not None:
        payload["request"] = request
    return payload


def test_the_flow_sends_once_and_ends_successful(system: System) -> None:
    system.put("k", BODY)

    final = system.run_to_the_end(["k"])["k"]

    assert published_per_message(system.sent()) == {("k", BODY): 1}
    assert final["status"] == "Successful"
    assert model.RETRY_SHARD not in final and model.NEXT_ATTEMPT_AT not in final


def test_two_express_executions_of_the_same_run_publish_once(express: System) -> None:
    express.put("k", BODY)
    name = model.execution_name("k", "0123456789ab", 1)
    payload = json.dumps(run_input("k", "0123456789ab"))

    def start(_: int) -> str:
        answer = express.sfn.start_execution(
            stateMachineArn=express.machine, name=name, input=payload
        )
        return str(answer["executionArn"])

    with ThreadPoolExecutor(2) as pool:
        arns = list(pool.map(start, range(2)))
    express.settle()

    assert len(set(arns)) == 2  # both started: Express has no name idempotency
    assert published_per_message(express.sent()) == {("k", BODY): 1}
    item = express.item("k")
    assert item["status"] == "Successful"
    assert item[model.OWNER] in arns and item[model.EXECUTION] == name


def test_a_run_that_died_after_its_claim_is_re_driven_when_the_lease_ends(
    system: System,
) -> None:
    system.put("k", BODY)
    # What a claim leaves when its execution dies before writing an outcome (an Express
    # execution cut off at five minutes, a status write that failed): Processing, leased.
    system.ddb.update_item(
        TableName=TABLE,
        Key={"id": {"S": "k"}},
        UpdateExpression="SET #s = :p, #r = :one, attempts = :one, #q = :q, #e = :e,"
        " #o = :o, retry_shard = :shard, next_attempt_at = :lease",
        ExpressionAttributeNames={"#s": "status", "#r": "run", "#q": "request", "#e": "execution",
                                  "#o": "owner"},  # fmt: skip
        ExpressionAttributeValues={
            ":p": {"S": "Processing"}, ":one": {"N": "1"}, ":q": {"S": "0123456789ab"},
            ":e": {"S": "k-0123456789ab-r1"}, ":o": {"S": "arn:aws:states:gone"},
            ":shard": {"S": model.retry_shard("k", 4)}, ":lease": {"N": "1"},
        },
    )  # fmt: skip

    result = system.retry()

    assert result is not None and result["redriven"] == 1
    final = system.item("k")
    assert (final["status"], final[model.RUN], final[model.ATTEMPTS]) == ("Successful", "2", "2")
    assert published_per_message(system.sent()) == {("k", BODY): 1}


def test_an_input_without_request_from_an_older_function_still_runs(system: System) -> None:
    """During an update the old disa_init_process (before request tokens) may start runs
    on the new definition: their names carry the legacy token, their input none."""
    system.put("k", BODY)
    legacy = model.legacy_token("k")
    system.sfn.start_execution(
        stateMachineArn=system.machine,
        name=model.execution_name("k", legacy, 1),
        input=json.dumps(run_input("k", None)),
    )
    system.settle()

    assert published_per_message(system.sent()) == {("k", BODY): 1}
    final = system.item("k")
    assert (final["status"], final[model.REQUEST]) == ("Successful", legacy)


def test_a_failure_of_an_input_without_request_is_recorded_with_its_token(
    system: System,
) -> None:
    system.put("k", BODY)
    system.faults.once("sns.Publish", "InternalError")
    legacy = model.legacy_token("k")
    system.sfn.start_execution(
        stateMachineArn=system.machine,
        name=model.execution_name("k", legacy, 1),
        input=json.dumps(run_input("k", None)),
    )
    system.settle()

    final = system.item("k")
    assert (final["status"], final[model.REQUEST]) == ("Failure", legacy)
