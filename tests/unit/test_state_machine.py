"""The state machine definition (state-machine/state-machine.json).

Three layers: its shape against the contract (pure JSON); cfn-lint's ASL validation (rule
E3601) through a throwaway template that inlines it; and real runs on moto's Step Functions
interpreter, with a scripted stand-in for disa_process and moto's DynamoDB behind the
record states, so every path is shown to leave the status the contract promises.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from cfnlint.api import lint
from disa_common import kit, model
from disa_common.settings import Settings
from disa_process.handler import Request
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from support.cfn_yaml import CFT, ROOT, load_template

ASL_PATH = ROOT / "state-machine" / "state-machine.json"
ASL_TEXT = ASL_PATH.read_text(encoding="utf-8")
ASL: dict[str, Any] = json.loads(ASL_TEXT)
STATES: dict[str, Any] = ASL["States"]
TASKS = {name: s for name, s in STATES.items() if s["Type"] == "Task"}
RECORD_TASKS = ("RecordSuccess", "RecordFailure", "Defer")
STATUS_VALUES = {s.value for s in model.Status}


def substitutions() -> dict[str, Any]:
    tpl = load_template(CFT / "nested-stacks" / "lambda-function-stack.yaml")
    props = tpl["Resources"]["StateMachine"]["Properties"]
    subs: dict[str, Any] = props["DefinitionSubstitutions"]
    return subs


# --- shape ------------------------------------------------------------------------------


def test_uses_jsonpath_not_jsonata() -> None:
    assert ASL.get("QueryLanguage", "JSONPath") == "JSONPath"
    for name, state in STATES.items():
        assert state.get("QueryLanguage", "JSONPath") == "JSONPath", name
        assert "Arguments" not in state and "Output" not in state, name


@pytest.mark.parametrize(
    ("name", "state_type"),
    [
        pytest.param("Process", "Task", id="process"),
        pytest.param("Defer", "Task", id="defer"),
        pytest.param("RecordSuccess", "Task", id="record-success"),
        pytest.param("RecordFailure", "Task", id="record-failure"),
        pytest.param("AlreadyHandled", "Succeed", id="already-handled"),
        pytest.param("StaleWrite", "Succeed", id="stale-write"),
        pytest.param("StatusWriteFailed", "Fail", id="status-write-failed"),
    ],
)
def test_contract_states_exist(name: str, state_type: str) -> None:
    assert STATES[name]["Type"] == state_type


def test_starts_with_process_and_every_state_is_reachable_and_every_target_exists() -> None:
    assert ASL["StartAt"] == "Process"

    def targets(state: dict[str, Any]) -> set[str]:
        found = {state["Next"]} if "Next" in state else set()
        found |= {c["Next"] for c in state.get("Catch", [])}
        found |= {c["Next"] for c in state.get("Choices", [])}
        found |= {state["Default"]} if "Default" in state else set()
        return found

    seen, todo = set(), ["Process"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        assert targets(STATES[name]) <= set(STATES), name
        todo.extend(targets(STATES[name]))
    assert seen == set(STATES)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_has_a_bounded_jittered_retry_on_transient_errors(name: str) -> None:
    retriers = TASKS[name]["Retry"]
    assert retriers
    for retrier in retriers:
        assert 1 <= retrier["MaxAttempts"] <= 10
        assert retrier["BackoffRate"] > 1
        assert 1 <= retrier["MaxDelaySeconds"] <= 60
        assert retrier["JitterStrategy"] == "FULL"
        # Only transient errors: a business failure must reach the Catch and be recorded.
        assert not {"States.ALL", "States.TaskFailed"} & set(retrier["ErrorEquals"])


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_catches_everything_last(name: str) -> None:
    catchers = TASKS[name]["Catch"]
    assert catchers[-1]["ErrorEquals"] == ["States.ALL"]


# The request token is the name's second part from the end (model.execution_name), so an
# input without ``request`` (started by a function older than tokens) still has one.
REQUEST_FROM_NAME = (
    "States.ArrayGetItem(States.StringSplit($$.Execution.Name, '-'), "
    "States.MathAdd(States.ArrayLength(States.StringSplit($$.Execution.Name, '-')), -2))"
)


@pytest.mark.parametrize("name", ["RecordSuccess", "RecordFailure", "Defer"])
def test_status_writes_name_the_execution_instance_and_never_read_the_input_token(
    name: str,
) -> None:
    values = STATES[name]["Parameters"]["ExpressionAttributeValues"]
    if ":owner" in values or name != "Defer":  # Defer claims nothing: no owner to check
        assert values[":owner"] == {"S.$": "$$.Execution.Id"}
    assert values.get(":request", {"S.$": REQUEST_FROM_NAME}) == {"S.$": REQUEST_FROM_NAME}
    assert "$.request" not in json.dumps(STATES)


def test_process_invokes_the_function_with_the_contract_payload() -> None:
    process = STATES["Process"]
    assert process["Resource"] == "${ProcessFunctionArn}"
    assert process["Parameters"] == {
        "id.$": "$.id",
        "request.$": REQUEST_FROM_NAME,
        "run.$": "$.run",
        "attempt.$": "$.attempt",
        "execution.$": "$$.Execution.Name",
        # The instance, not the name: Express may run one name twice (at least once).
        "owner.$": "$$.Execution.Id",
    }
    assert process["ResultPath"] == "$.result"
    retried = set(process["Retry"][0]["ErrorEquals"])
    assert retried == {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    }
    catches = {c["ErrorEquals"][0]: c for c in process["Catch"]}
    assert catches["ClaimConflictError"]["Next"] == "AlreadyHandled"
    assert catches["States.ALL"] == {
        "ErrorEquals": ["States.ALL"],
        "ResultPath": "$.error",
        "Next": "RecordFailure",
    }


def test_a_retry_lease_outlasts_the_longest_wait_for_the_claim() -> None:
    """disa_retry re-drives a Retrying item once its lease ends, taking it from its run.

    A run that is slow but healthy must have claimed by then (or given up): Process's
    every try timing out, plus every retry delay, fits inside the lease.
    """
    process = STATES["Process"]
    tries = 1 + sum(r["MaxAttempts"] for r in process["Retry"])
    delays = sum(
        min(r["IntervalSeconds"] * r["BackoffRate"] ** n, r["MaxDelaySeconds"])
        for r in process["Retry"]
        for n in range(r["MaxAttempts"])
    )
    tpl = load_template(CFT / "nested-stacks" / "lambda-function-stack.yaml")
    env = tpl["Resources"]["RetryFunction"]["Properties"]["Environment"]["Variables"]
    plain = {name: value for name, value in env.items() if isinstance(value, str)}
    lease = Settings.from_env(plain).retry_lease_seconds
    assert tries * process["TimeoutSeconds"] + delays < lease


EXPRESS_MAX_SECONDS = 300  # an Express execution is stopped after five minutes


def test_a_claim_lease_outlasts_every_run_that_holds_it() -> None:
    """disa_process's claim is a lease of the same length (its function's settings): a
    run that still holds its claim must be done, or dead, by the time it ends. After the
    claim come at most the Process task's remaining tries and one status write with its
    retries; an Express execution never lives past five minutes."""
    process = STATES["Process"]
    tries = 1 + sum(r["MaxAttempts"] for r in process["Retry"])
    record = STATES["RecordFailure"]["Retry"][0]
    record_seconds = sum(
        min(record["IntervalSeconds"] * record["BackoffRate"] ** n, record["MaxDelaySeconds"])
        for n in range(record["MaxAttempts"])
    )
    tpl = load_template(CFT / "nested-stacks" / "lambda-function-stack.yaml")
    env = tpl["Resources"]["ProcessFunction"]["Properties"]["Environment"]["Variables"]
    plain = {name: value for name, value in env.items() if isinstance(value, str)}
    lease = Settings.from_env(plain).retry_lease_seconds
    assert tries * process["TimeoutSeconds"] + 2 * record_seconds < lease
    assert lease > EXPRESS_MAX_SECONDS


@pytest.mark.parametrize(
    ("name", "on_anything_else"),
    [
        pytest.param("RecordSuccess", "RecordFailure", id="success-falls-back-to-failure"),
        pytest.param("RecordFailure", "StatusWriteFailed", id="failure-fails-loudly"),
        pytest.param("Defer", "StatusWriteFailed", id="defer-fails-loudly"),
    ],
)
def test_record_tasks_never_overwrite_and_route_other_errors(
    name: str, on_anything_else: str
) -> None:
    state = STATES[name]
    assert state["Resource"] == "${DynamoDbUpdateItem}"
    assert state["ResultPath"] is None
    first, last = state["Catch"][0], state["Catch"][-1]
    assert first == {
        "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
        "Next": "StaleWrite",
    }
    assert last["Next"] == on_anything_else


def resolved(state: dict[str, Any], field: str) -> str:
    """An expression with #names replaced by attribute names and :values by their literal
    (when constant) or JSONPath source."""
    params = state["Parameters"]
    text: str = params[field]
    for alias, attribute in params["ExpressionAttributeNames"].items():
        text = re.sub(re.escape(alias) + r"\b", attribute, text)
    for alias, value in params["ExpressionAttributeValues"].items():
        ((kind, source),) = value.items()
        literal = repr(source) if not kind.endswith(".$") else source
        text = re.sub(re.escape(alias) + r"\b", literal, text)
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("name", "update", "condition"),
    [
        pytest.param(
            "RecordSuccess",
            "SET status = 'Successful', sns_message_id = $.result.messageId,"
            " updated_at = $$.State.EnteredTime REMOVE reason, retry_shard, next_attempt_at",
            "status = 'Processing' AND owner = $$.Execution.Id",
            id="record-success-only-by-the-owner",
        ),
        pytest.param(
            "RecordFailure",
            "SET status = 'Failure', reason = $.error.Error, retry_shard = $.retryShard,"
            " next_attempt_at = States.JsonToString($.retryAt), run = States.JsonToString($.run),"
            " attempts = States.JsonToString($.attempt), request = " + REQUEST_FROM_NAME + ","
            " execution = $$.Execution.Name, updated_at = $$.State.EnteredTime",
            "attribute_exists(id) AND (attribute_not_exists(status)"
            " OR (status = 'Retrying' AND run = States.JsonToString($.run)"
            " AND request = " + REQUEST_FROM_NAME + ")"
            " OR (status = 'Processing' AND owner = $$.Execution.Id))",
            id="record-failure",
        ),
        pytest.param(
            "Defer",
            "SET status = 'Failure', reason = 'CircuitOpen', retry_shard = $.retryShard,"
            " next_attempt_at = States.JsonToString($.retryAt), run = States.JsonToString($.run),"
            " request = " + REQUEST_FROM_NAME + ", execution = $$.Execution.Name,"
            " updated_at = $$.State.EnteredTime",
            "attribute_exists(id) AND (attribute_not_exists(status)"
            " OR (status = 'Retrying' AND run = States.JsonToString($.run)"
            " AND request = " + REQUEST_FROM_NAME + "))",
            id="defer-consumes-no-attempt",
        ),
    ],
)
def test_record_writes_follow_the_contract(name: str, update: str, condition: str) -> None:
    state = STATES[name]
    assert state["Parameters"]["TableName"] == "${TableName}"
    assert state["Parameters"]["Key"] == {model.KEY: {"S.$": "$.id"}}
    assert resolved(state, "UpdateExpression") == update
    assert resolved(state, "ConditionExpression") == condition


def test_status_strings_are_exactly_model_statuses() -> None:
    used = set()
    for name in RECORD_TASKS:
        params = STATES[name]["Parameters"]
        status_alias = next(
            k for k, v in params["ExpressionAttributeNames"].items() if v == "status"
        )
        expressions = params["UpdateExpression"] + " " + params["ConditionExpression"]
        for match in re.finditer(
            re.escape(status_alias) + r"\s*(=|IN)\s*\(?([:\w, ]+)\)?", expressions
        ):
            for alias in re.findall(r":\w+", match.group(2)):
                used.add(params["ExpressionAttributeValues"][alias]["S"])
    assert used <= STATUS_VALUES
    assert used == {"Successful", "Failure", "Processing", "Retrying"}


def test_every_attribute_name_and_status_word_is_the_models() -> None:
    """The ASL spells attribute names and statuses literally: each must be the model's,
    under the same placeholder the handlers use (disa_common.kit.NAMES)."""
    aliases: dict[str, str] = {}
    for name in RECORD_TASKS:
        params = STATES[name]["Parameters"]
        assert set(params["Key"]) == {model.KEY}
        for alias, attribute in params["ExpressionAttributeNames"].items():
            assert kit.NAMES[alias] == attribute, (name, alias)
            aliases[alias] = attribute
        for value in params["ExpressionAttributeValues"].values():
            if "S" in value and value["S"] != "CircuitOpen":
                assert value["S"] in STATUS_VALUES, (name, value)
    assert set(aliases.values()) == {
        model.KEY,
        model.STATUS,
        model.RUN,
        model.ATTEMPTS,
        model.REASON,
        model.RETRY_SHARD,
        model.NEXT_ATTEMPT_AT,
        model.SNS_MESSAGE_ID,
        model.EXECUTION,
        model.OWNER,
        model.REQUEST,
        model.UPDATED_AT,
    }
    # The Process payload is what disa_process.parse_request reads.
    fields = {key.removesuffix(".$") for key in STATES["Process"]["Parameters"]}
    assert fields == {f.name for f in dataclasses.fields(Request)}


def test_every_placeholder_has_a_substitution_and_every_substitution_a_placeholder() -> None:
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL_TEXT))
    assert placeholders == {"ProcessFunctionArn", "TableName", "DynamoDbUpdateItem"}
    assert set(substitutions()) == placeholders


# --- cfn-lint E3601 -----------------------------------------------------------------------


def inline_template(definition: dict[str, Any]) -> str:
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {
                "ProcessFunctionArn": {"Type": "String"},
                "TableName": {"Type": "String"},
            },
            "Resources": {
                "StateMachine": {
                    "Type": "AWS::StepFunctions::StateMachine",
                    "Properties": {
                        "RoleArn": {
                            "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x"
                        },
                        "Definition": definition,
                        "DefinitionSubstitutions": {
                            "ProcessFunctionArn": {"Ref": "ProcessFunctionArn"},
                            "TableName": {"Ref": "TableName"},
                            "DynamoDbUpdateItem": {
                                "Fn::Sub": "arn:${AWS::Partition}:states:::dynamodb:updateItem"
                            },
                        },
                    },
                }
            },
        }
    )


def test_cfn_lint_validates_the_definition_clean() -> None:
    matches = lint(inline_template(ASL))
    assert [f"{m.rule.id}: {m.message}" for m in matches] == []


def test_cfn_lint_would_catch_a_broken_definition() -> None:
    broken = json.loads(ASL_TEXT)
    broken["States"]["Defer"]["Type"] = "Taskk"
    assert "E3601" in {m.rule.id for m in lint(inline_template(broken))}


# --- runs on moto's interpreter -------------------------------------------------------------

TABLE = "disa-test-messages"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:disa-test-process"
TOKEN = "0123456789ab"  # the request of the runs below
OTHER = "ba9876543210"  # another request's
MINE = model.execution_name("d", TOKEN, 1)  # the name of run 1 of "d" in the runs below
Behaviour = Callable[[dict[str, Any]], tuple[Any, str | None]]


class World:
    """moto with executing state machines and a scripted disa_process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.behaviour: Behaviour = lambda event: ({}, None)
        self.events: list[dict[str, Any]] = []

        def invoke(_self: Any, _name: str, _q: Any, body: Any, _h: Any, headers: Any) -> bytes:
            event = json.loads(body)
            self.events.append(event)
            payload, error = self.behaviour(event)
            if error:
                headers["x-amz-function-error"] = "Unhandled"
                payload = {"errorType": error, "errorMessage": "scripted"}
            return json.dumps(payload).encode()

        monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
        self.ddb = boto3.client("dynamodb", region_name="us-east-1")
        self.ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        self.sfn = boto3.client("stepfunctions", region_name="us-east-1")

    def machine(self, table: str = TABLE) -> str:
        definition = ASL_TEXT.replace("${ProcessFunctionArn}", FUNCTION_ARN)
        definition = definition.replace("${TableName}", table)
        definition = definition.replace(
            "${DynamoDbUpdateItem}", "arn:aws:states:::dynamodb:updateItem"
        )
        return self.sfn.create_state_machine(
            name=f"sm-{table}",
            definition=definition,
            roleArn="arn:aws:iam::123456789012:role/disa-test-state-machine",
        )["stateMachineArn"]

    def run(self, machine: str, item_key: str, run: int = 1, attempt: int = 1) -> dict[str, Any]:
        execution = self.sfn.start_execution(
            stateMachineArn=machine,
            name=model.execution_name(item_key, TOKEN, run),
            input=json.dumps(
                {
                    "id": item_key,
                    "request": TOKEN,
                    "run": run,
                    "attempt": attempt,
                    "retryAt": 1_900_000_000,
                    "retryShard": "3",
                }
            ),
        )["executionArn"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.05)
        history = self.sfn.get_execution_history(executionArn=execution)["events"]
        described["states"] = [
            e["stateEnteredEventDetails"]["name"]
            for e in history
            if "stateEnteredEventDetails" in e
        ]
        return described

    def put(self, item_key: str, **attributes: Any) -> None:
        item = {"id": {"S": item_key}, "message": {"S": "hello"}}
        for name, value in attributes.items():
            item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
        self.ddb.put_item(TableName=TABLE, Item=item)

    def item(self, item_key: str) -> dict[str, Any]:
        raw = self.ddb.get_item(TableName=TABLE, Key={"id": {"S": item_key}})["Item"]
        return {k: int(v["N"]) if "N" in v else v["S"] for k, v in raw.items()}

    def claim(self, event: dict[str, Any]) -> None:
        """What disa_process's claim does, enough for the record states' conditions."""
        self.ddb.update_item(
            TableName=TABLE,
            Key={"id": {"S": event["id"]}},
            UpdateExpression="SET #s = :p, #r = :r, attempts = :a, #e = :e, #q = :q, #o = :o",
            ExpressionAttributeNames={
                "#s": "status",
                "#r": "run",
                "#e": "execution",
                "#q": "request",
                "#o": "owner",
            },
            ExpressionAttributeValues={
                ":p": {"S": "Processing"},
                ":r": {"N": str(event["run"])},
                ":a": {"N": str(event["attempt"])},
                ":e": {"S": event["execution"]},
                ":o": {"S": event["owner"]},
                ":q": {"S": event["request"]},
            },
        )


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    config = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}
    with mock_aws(config=config):  # type: ignore[arg-type]
        yield World(monkeypatch)


def test_published_item_is_recorded_successful(world: World) -> None:
    def publish(event: dict[str, Any]) -> tuple[Any, None]:
        world.claim(event)
        return {"outcome": "published", "messageId": "sns-1"}, None

    world.behaviour = publish
    world.put("a")
    result = world.run(world.machine(), "a")
    assert result["status"] == "SUCCEEDED"
    assert result["states"] == ["Process", "RouteOutcome", "RecordSuccess"]
    name = model.execution_name("a", TOKEN, 1)
    owner = world.events[0].pop("owner")
    assert owner.startswith("arn:aws:states:") and owner.endswith(f":{name}")  # the instance
    assert world.events == [
        {"id": "a", "request": TOKEN, "run": 1, "attempt": 1, "execution": name}
    ]
    item = world.item("a")
    assert item["status"] == model.Status.SUCCESSFUL
    assert item["sns_message_id"] == "sns-1"
    assert (item["execution"], item["request"]) == (name, TOKEN)
    assert "retry_shard" not in item and "next_attempt_at" not in item
    assert item["updated_at"]


def test_a_claimed_item_whose_publish_failed_is_recorded_by_its_owner(world: World) -> None:
    def claim_then_fail(event: dict[str, Any]) -> tuple[None, str]:
        world.claim(event)
        return None, "PublishError"

    world.behaviour = claim_then_fail
    world.put("owned", run=1)
    result = world.run(world.machine(), "owned", run=2, attempt=2)
    assert result["states"] == ["Process", "RecordFailure"]
    item = world.item("owned")
    assert (item["status"], item["run"], item["attempts"]) == ("Failure", 2, 2)


@pytest.mark.parametrize(
    ("error", "attributes", "run", "attempt"),
    [
        pytest.param("PublishError", {}, 1, 1, id="publish-error-on-first-run"),
        pytest.param(
            "PublishError",
            {"status": "Retrying", "run": 2, "attempts": 2, "request": TOKEN},
            2,
            3,
            id="on-a-retry",
        ),
        pytest.param("ClientError", {}, 1, 1, id="claim-failed-with-an-aws-error"),
        pytest.param("Lambda.Unknown", {}, 1, 1, id="function-crash-before-claim"),
    ],
)
def test_failure_is_recorded_due_for_retry(
    world: World, error: str, attributes: dict[str, Any], run: int, attempt: int
) -> None:
    world.behaviour = lambda event: (None, error)
    world.put("b", **attributes)
    result = world.run(world.machine(), "b", run=run, attempt=attempt)
    assert result["status"] == "SUCCEEDED"
    assert result["states"] == ["Process", "RecordFailure"]
    item = world.item("b")
    assert item["status"] == model.Status.FAILURE
    assert item["reason"] == error
    assert item["retry_shard"] == "3"
    assert item["next_attempt_at"] == 1_900_000_000
    assert item["run"] == run
    assert item["attempts"] == attempt
    assert item["request"] == TOKEN
    assert item["execution"] == model.execution_name("b", TOKEN, run)


@pytest.mark.parametrize(
    ("attributes", "run"),
    [
        pytest.param({}, 1, id="new-item"),
        pytest.param(
            {"status": "Retrying", "run": 4, "attempts": 2, "request": TOKEN}, 4, id="retrying-item"
        ),
    ],
)
def test_deferred_item_goes_back_to_failure_without_consuming_an_attempt(
    world: World, attributes: dict[str, Any], run: int
) -> None:
    world.behaviour = lambda event: ({"outcome": "deferred", "alarmState": "ALARM"}, None)
    world.put("c", **attributes)
    result = world.run(world.machine(), "c", run=run, attempt=3)
    assert result["status"] == "SUCCEEDED"
    assert result["states"] == ["Process", "RouteOutcome", "Defer"]
    item = world.item("c")
    assert item["status"] == model.Status.FAILURE
    assert item["reason"] == "CircuitOpen"
    assert item["next_attempt_at"] == 1_900_000_000
    assert item.get("attempts") == attributes.get("attempts")


@pytest.mark.parametrize(
    ("behaviour", "attributes", "states"),
    [
        pytest.param(
            lambda event: (None, "ClaimConflictError"),
            {"status": "Successful"},
            ["Process", "AlreadyHandled"],
            id="claim-conflict",
        ),
        pytest.param(
            lambda event: ({"outcome": "invalid", "reason": "NotAString"}, None),
            {"status": "Invalid", "reason": "NotAString"},
            ["Process", "RouteOutcome", "InvalidItem"],
            id="marked-invalid-by-the-function",
        ),
        pytest.param(
            lambda event: ({"outcome": "published", "messageId": "late"}, None),
            {"status": "Successful", "run": 1},
            ["Process", "RouteOutcome", "RecordSuccess", "StaleWrite"],
            id="success-after-a-newer-write",
        ),
        pytest.param(
            lambda event: ({"outcome": "published", "messageId": "late"}, None),
            {"status": "Processing", "run": 1, "request": OTHER, "execution": "other-r1"},
            ["Process", "RouteOutcome", "RecordSuccess", "StaleWrite"],
            id="success-while-another-execution-of-the-run-owns-it",
        ),
        pytest.param(
            lambda event: (None, "PublishError"),
            {"status": "Processing", "run": 1, "request": OTHER, "execution": "other-r1"},
            ["Process", "RecordFailure", "StaleWrite"],
            id="failure-while-another-execution-of-the-run-owns-it",
        ),
        pytest.param(
            lambda event: (None, "PublishError"),
            {"status": "Retrying", "run": 1, "request": OTHER},
            ["Process", "RecordFailure", "StaleWrite"],
            id="failure-on-another-requests-lease",
        ),
        pytest.param(
            lambda event: (None, "PublishError"),
            {"status": "Retrying", "run": 2, "request": TOKEN},
            ["Process", "RecordFailure", "StaleWrite"],
            id="failure-on-a-newer-runs-lease",
        ),
        pytest.param(
            lambda event: ({"outcome": "deferred"}, None),
            {"status": "Processing", "run": 2},
            ["Process", "RouteOutcome", "Defer", "StaleWrite"],
            id="defer-while-another-run-owns-it",
        ),
        pytest.param(
            lambda event: ({"outcome": "deferred"}, None),
            {"status": "Retrying", "run": 1, "request": OTHER},
            ["Process", "RouteOutcome", "Defer", "StaleWrite"],
            id="defer-on-another-requests-lease",
        ),
        pytest.param(
            lambda event: ({"outcome": "deferred"}, None),
            {"status": "Retrying", "run": 2, "request": TOKEN},
            ["Process", "RouteOutcome", "Defer", "StaleWrite"],
            id="defer-on-a-newer-runs-lease",
        ),
        pytest.param(
            lambda event: (None, "PublishError"),
            {"status": "Exhausted", "run": 1, "request": TOKEN},
            ["Process", "RecordFailure", "StaleWrite"],
            id="failure-on-a-final-item-of-this-request-and-run",
        ),
        pytest.param(
            lambda event: ({"outcome": "deferred"}, None),
            {"status": "Successful", "run": 1, "request": TOKEN},
            ["Process", "RouteOutcome", "Defer", "StaleWrite"],
            id="defer-on-a-final-item-of-this-request-and-run",
        ),
        pytest.param(
            lambda event: ({"outcome": "published", "messageId": "late"}, None),
            {"status": "OnHold", "run": 1, "request": TOKEN, "execution": MINE},
            ["Process", "RouteOutcome", "RecordSuccess", "StaleWrite"],
            id="success-after-the-status-was-set-by-hand",
        ),
        pytest.param(
            lambda event: (None, "PublishError"),
            {"status": "OnHold", "run": 1, "request": TOKEN, "execution": MINE},
            ["Process", "RecordFailure", "StaleWrite"],
            id="failure-after-the-status-was-set-by-hand",
        ),
    ],
)
def test_stale_writers_never_overwrite(
    world: World, behaviour: Behaviour, attributes: dict[str, Any], states: list[str]
) -> None:
    world.behaviour = behaviour
    world.put("d", **attributes)
    before = world.item("d")
    result = world.run(world.machine(), "d")
    assert result["status"] == "SUCCEEDED"
    assert result["states"] == states
    assert world.item("d") == before


@pytest.mark.parametrize(
    ("behaviour", "states"),
    [
        pytest.param(
            lambda event: (None, "PublishError"),
            ["Process", "RecordFailure", "StaleWrite"],
            id="failure",
        ),
        pytest.param(
            lambda event: ({"outcome": "deferred", "alarmState": "ALARM"}, None),
            ["Process", "RouteOutcome", "Defer", "StaleWrite"],
            id="deferral",
        ),
    ],
)
def test_a_deleted_item_is_not_recreated_as_a_stub(
    world: World, behaviour: Behaviour, states: list[str]
) -> None:
    world.behaviour = behaviour  # the item was deleted after its execution started
    result = world.run(world.machine(), "deleted")
    assert result["status"] == "SUCCEEDED"
    assert result["states"] == states
    assert "Item" not in world.ddb.get_item(TableName=TABLE, Key={"id": {"S": "deleted"}})


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"outcome": "surprise"}, id="unknown-outcome"),
        pytest.param({"outcome": "published"}, id="published-without-message-id"),
        pytest.param(None, id="null-payload"),
    ],
)
def test_unexpected_results_are_recorded_as_failures(world: World, payload: Any) -> None:
    world.behaviour = lambda event: (payload, None)
    world.put("e")
    result = world.run(world.machine(), "e")
    assert result["status"] == "SUCCEEDED"
    assert result["states"][-2:] == ["UnexpectedOutcome", "RecordFailure"]
    item = world.item("e")
    assert item["status"] == model.Status.FAILURE
    assert item["reason"] == "UnexpectedOutcome"


def test_an_unrecordable_status_fails_the_execution_for_the_alarm(world: World) -> None:
    world.behaviour = lambda event: (None, "PublishError")
    result = world.run(world.machine(table="no-such-table"), "f")
    assert result["status"] == "FAILED"
    assert result["states"] == ["Process", "RecordFailure", "StatusWriteFailed"]
    assert result["error"] == "StatusWriteFailed"
