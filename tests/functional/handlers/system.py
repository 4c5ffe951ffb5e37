"""The DISA flow on moto, for functional tests: the real handlers and the real state
machine definition, wired as on AWS.

moto's Step Functions interpreter runs state-machine/state-machine.json (its DynamoDB
record states write moto's table); its Lambda task calls disa_process in-process with the
test's Container; ``deliver()`` plays the event source mapping (the template's
FilterCriteria, evaluated by moto's EventPattern as the local emulator does, then
disa_init_process, redelivering from the first failed record); ``retry()`` plays one
scheduled disa_retry run at a chosen time. Faults are injected on the Container's session,
so they reach every call the handlers make (not the state machine's own writes).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from disa_common import model
from disa_common.container import Container
from disa_init_process.handler import lambda_handler as init_process
from disa_process.handler import lambda_handler as process
from disa_retry.handler import lambda_handler as retry
from handler_support import ACCOUNT, REGION, TABLE, FakeContext, Stream, aws_client
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.config import default_user_config
from moto.core.models import botocore_stubber
from moto.events.models import EventPattern
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from deployer.local.patches.state_machines import start_execution
from tests.support.cfn_yaml import CFT, ROOT, load_template

FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:disa-test-process"
TERMINAL = {"Successful", "Invalid", "Exhausted"}
LEASE = 900


def stream_filters() -> list[EventPattern]:
    """The stream mapping's FilterCriteria, as the template declares them."""
    tpl = load_template(CFT / "nested-stacks" / "lambda-function-stack.yaml")
    mapping = tpl["Resources"]["StreamMapping"]["Properties"]
    return [EventPattern.load(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]


def passes_filter(record: dict[str, Any]) -> bool:
    return any(pattern.matches_event(record) for pattern in stream_filters())


@dataclass
class Faults:
    """Fail the first call of each listed ``service.Operation`` (matching ``when``)."""

    container: Container
    fired: Counter[str] = field(default_factory=Counter)

    def once(self, operation: str, code: str, when: Any = lambda params: True) -> None:
        service, name = operation.split(".")

        def hook(params: dict[str, Any], **_: Any) -> None:
            if not self.fired[operation] and when(params):
                self.fired[operation] += 1
                raise ClientError({"Error": {"Code": code, "Message": "injected"}}, name)

        self.container.session.events.register(f"before-parameter-build.{service}.{name}", hook)


class System:
    """Table with stream, topic with a subscribed queue, and the real state machine."""

    def __init__(
        self, container: Container, monkeypatch: pytest.MonkeyPatch, workflow: str = "STANDARD"
    ) -> None:
        monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", True)
        # Express as AWS runs it: every StartExecution starts, a repeated name included (the
        # local emulator's patch, the same code).
        monkeypatch.setattr(StepFunctionsParserBackend, "start_execution", start_execution)
        monkeypatch.setitem(default_user_config["lambda"], "use_docker", False)
        monkeypatch.setattr(
            LambdaSimpleBackend,
            "invoke",
            lambda _backend, *args, **kwargs: self._invoke(*args, **kwargs),
        )
        # moto's backends are not thread-safe (deployer/local/serial.py): two executions
        # claiming at once could both pass a conditional write that AWS makes atomic. One
        # lock around moto's in-process dispatch, as the emulator serves each request
        # under its MOTO_LOCK; reentrant, as a Lambda task's handler calls back into moto.
        lock, serve = threading.RLock(), botocore_stubber.process_request

        def serialised(request: Any) -> Any:
            with lock:
                return serve(request)

        monkeypatch.setattr(botocore_stubber, "process_request", serialised)
        monkeypatch.setenv("RETRY_BASE_SECONDS", "1")
        monkeypatch.setenv("RETRY_MAX_SECONDS", "2")
        self.container = container
        self.faults = Faults(container)
        self.ddb, self.sfn = aws_client("dynamodb"), aws_client("stepfunctions")
        self.later = 0.0  # how far ahead of real time disa_retry's clock runs
        definition = (ROOT / "state-machine" / "state-machine.json").read_text()
        definition = definition.replace("${ProcessFunctionArn}", FUNCTION_ARN)
        definition = definition.replace("${TableName}", TABLE)
        definition = definition.replace(
            "${DynamoDbUpdateItem}", "arn:aws:states:::dynamodb:updateItem"
        )
        self.machine = self.sfn.create_state_machine(
            name="disa-test-system",
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/disa-test-sfn",
            type=workflow,
        )["stateMachineArn"]
        monkeypatch.setenv("STATE_MACHINE_ARN", self.machine)
        self._inbox = self._subscribe()
        self.published: list[dict[str, str]] = []

    def attach(self, stream: Stream) -> None:
        self.stream = stream

    # --- the flow ------------------------------------------------------------------------

    def deliver(self, rounds: int = 10) -> None:
        """The event source mapping: filtered records in order, redelivered from the first
        failure, until the stream has nothing new (runs write records as they go)."""
        pending: list[dict[str, Any]] = []
        for _ in range(rounds):
            self.settle()
            pending += [r for r in self.stream.new_records() if passes_filter(r)]
            if not pending:
                return
            answer = init_process({"Records": pending}, FakeContext(), self.container)
            failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
            numbers = [r["dynamodb"]["SequenceNumber"] for r in pending]
            first = min((numbers.index(f) for f in failed), default=len(pending))
            pending = pending[first:]
        raise AssertionError("the stream still has work after every redelivery")

    def retry(self) -> dict[str, Any] | None:
        """One scheduled run of disa_retry, a lease later than the previous one."""
        self.later += LEASE + 5
        clock = Container(self.container.session, clock=lambda: time.time() + self.later)
        try:
            result: dict[str, Any] = retry({}, FakeContext(), clock)
        except ClientError:
            result = None  # the invocation failed; the schedule runs it again
        self.settle()
        return result

    def settle(self, timeout: float = 60) -> None:
        """Wait until no execution is running (polled, with a generous deadline)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = self.sfn.list_executions(stateMachineArn=self.machine, statusFilter="RUNNING")
            if not running["executions"]:
                return
            time.sleep(0.05)
        raise AssertionError(f"executions still running after {timeout} s")

    def run_to_the_end(self, keys: list[str], rounds: int = 8) -> dict[str, dict[str, Any]]:
        """Deliver what the stream holds, then run the schedule, until every item is
        terminal and the stream has nothing left (or ``rounds`` runs passed)."""
        self.deliver()
        for _ in range(rounds):
            if all(self.status(key) in TERMINAL for key in keys):
                break
            self.retry()
            self.deliver()
        return {key: self.item(key) for key in keys}

    # --- what a user sees ----------------------------------------------------------------

    def item(self, key: str) -> dict[str, Any]:
        raw = self.ddb.get_item(TableName=TABLE, Key={"id": {"S": key}}, ConsistentRead=True)
        return {k: next(iter(v.values())) for k, v in raw.get("Item", {}).items()}

    def status(self, key: str) -> str | None:
        return self.item(key).get(model.STATUS)

    def sent(self) -> list[dict[str, str]]:
        """Every message the topic delivered so far: (id, message, messageId)."""
        sqs = aws_client("sqs")
        while True:
            answer = sqs.receive_message(QueueUrl=self._inbox, MaxNumberOfMessages=10)
            if not answer.get("Messages"):
                return list(self.published)
            for message in answer["Messages"]:
                body = json.loads(message["Body"])
                key = body["MessageAttributes"][model.MESSAGE_ATTRIBUTE_KEY]["Value"]
                self.published.append(
                    {"id": key, "message": body["Message"], "messageId": body["MessageId"]}
                )
                sqs.delete_message(QueueUrl=self._inbox, ReceiptHandle=message["ReceiptHandle"])

    def put(self, key: str, message: str) -> None:
        self.ddb.put_item(TableName=TABLE, Item={"id": {"S": key}, "message": {"S": message}})

    # --- wiring --------------------------------------------------------------------------

    def _invoke(
        self, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
    ) -> bytes:
        try:
            payload = process(json.loads(body), FakeContext(), self.container)
        except Exception as err:  # what Lambda reports for an unhandled error
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = {"errorType": type(err).__name__, "errorMessage": "raised"}
        return json.dumps(payload).encode()

    def _subscribe(self) -> str:
        sns, sqs = aws_client("sns"), aws_client("sqs")
        topic = sns.create_topic(Name="disa-test-messages")["TopicArn"]
        url = sqs.create_queue(QueueName="disa-test-system-inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])
        return str(url)


def published_per_message(sent: list[dict[str, str]]) -> Counter[tuple[str, str]]:
    return Counter((note["id"], note["message"]) for note in sent)
