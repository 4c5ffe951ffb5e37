"""A deployed DISA as the operate commands see it, built in moto without deploying it.

The env ``dev`` (account 123456789012, us-east-1): a root stack ``disa-dev`` whose outputs
name the table and state machine; the messages table created from the dynamodb stack's own
definition (keys and the sparse retry index); the state machine; the retry function with
the settings it runs with (its environment: what ``redrive`` reads); the four log groups,
holding lines shaped as Lambda and Step Functions write them: per invocation START, the
handlers' JSON lines (code/python/disa_common/log.py's fields), EMF lines, the runtime's
``[ERROR]`` event with its traceback, END and REPORT.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from click.testing import CliRunner, Result
from disa_common import model
from support.cfn_yaml import CFT, ROOT, load_template

from deployer.cli import cli
from deployer.wiring import Edge

REGION, ACCOUNT = "us-east-1", "123456789012"
ENV_FILE = f"""\
region: {REGION}
account_id: "{ACCOUNT}"
parameters:
  MaxAttempts: 5
"""
STATE_MACHINE = "disa-dev-state-machine"
DASHBOARD_URL = "https://us-east-1.console.aws.amazon.com/cloudwatch/home#dashboards:name=disa-dev"
ROOT_TEMPLATE = {
    "Parameters": {"MaxAttempts": {"Type": "Number", "Default": 5}},
    "Resources": {"Ops": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {
        "TableName": {"Value": "disa-dev-messages"},
        "StateMachineArn": {
            "Value": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STATE_MACHINE}"
        },
        "DashboardUrl": {"Value": DASHBOARD_URL},
    },
}
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STATE_MACHINE}"
RETRY_ENVIRONMENT = {
    "TABLE_NAME": "disa-dev-messages",
    "STATE_MACHINE_ARN": STATE_MACHINE_ARN,
    "RETRY_SHARDS": "4",
    "RETRY_LEASE_SECONDS": "900",
    "MAX_ATTEMPTS": "5",
}
GROUPS = {
    "init": "/aws/lambda/disa-dev-init-process",
    "process": "/aws/lambda/disa-dev-process",
    "retry": "/aws/lambda/disa-dev-retry",
    "states": "/aws/vendedlogs/states/disa-dev-state-machine",
}


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def create_table() -> str:
    """The messages table, from the template's own keys and index."""
    props = load_template(CFT / "nested-stacks" / "dynamodb-stack.yaml")["Resources"][
        "MessagesTable"
    ]["Properties"]
    client("dynamodb").create_table(
        TableName="disa-dev-messages",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
    )
    return "disa-dev-messages"


def put_item(key: str, status: str | None = None, message: Any = "hello", **extra: Any) -> None:
    item: dict[str, Any] = {"id": {"S": key}}
    if message is not None:
        item["message"] = {"S": message} if isinstance(message, str) else message
    if status:
        item["status"] = {"S": status}
    for name, value in extra.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
    client("dynamodb").put_item(TableName="disa-dev-messages", Item=item)


def run_name(key: str, run: int, request: str | None = None) -> str:
    """The handlers' name for a run of the item's request (no token: a request from before
    tokens existed, named from the key)."""
    return model.execution_name(key, request or model.legacy_token(key), run)


def put_failed(key: str, attempts: int, updated_at: str, status: str = "Failure",
               run: int = 1, due: int | None = None) -> None:  # fmt: skip
    """An item in the retry index, as the state machine's RecordFailure leaves it."""
    put_item(key, status, reason="PublishError", run=run, attempts=attempts,
             updated_at=updated_at, retry_shard=model.retry_shard(key, 4),
             next_attempt_at=due or int(time.time()) + 120,
             execution=run_name(key, run))  # fmt: skip


def start_execution(key: str, run: int, request: str | None = None) -> str:
    arn = ROOT_TEMPLATE["Outputs"]["StateMachineArn"]["Value"]
    name = run_name(key, run, request)
    client("stepfunctions").start_execution(stateMachineArn=arn, name=name, input="{}")
    return name


@dataclass
class Logs:
    """Writes log events the way Lambda and Step Functions do, at times from ``t0``."""

    t0: int = field(default_factory=lambda: int(time.time() * 1000) - 60_000)
    step: int = 0

    def _put(self, group: str, stream: str, messages: Sequence[str]) -> None:
        logs = client("logs")
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
        events = []
        for message in messages:
            self.step += 10
            events.append({"timestamp": self.t0 + self.step, "message": message})
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    def invocation(
        self,
        source: str,
        lines: Sequence[dict[str, Any] | str],
        stream: str = "2025/01/01/[$LATEST]aaaa",
        error: str | None = None,
    ) -> str:
        """One invocation: START, the handler's lines (dicts get requestId), END, REPORT."""
        request = str(uuid.uuid4())
        function = {"init": "disa_init_process", "process": "disa_process"}.get(source, source)
        body = [
            json.dumps({"time": "2025-01-01T00:00:00.000+00:00", "level": "INFO",
                        "function": function, "requestId": request, **line})
            if isinstance(line, dict) else line
            for line in lines
        ]  # fmt: skip
        if error:
            body.append(error)
        self._put(GROUPS[source], stream, [
            f"START RequestId: {request} Version: $LATEST", *body, f"END RequestId: {request}",
            f"REPORT RequestId: {request}\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
            "Memory Size: 256 MB\tMax Memory Used: 80 MB",
        ])  # fmt: skip
        return request

    def states(self, type_: str, execution: str, **details: Any) -> None:
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{STATE_MACHINE}:{execution}"
        event = {"id": "4", "type": type_, "details": details, "previous_event_id": "3",
                 "event_timestamp": str(self.t0), "execution_arn": arn}  # fmt: skip
        self._put(GROUPS["states"], "states/x/2025-01-01-00-00/abc", [json.dumps(event)])


def metric(name: str, key: str) -> str:
    """An EMF line as disa_common.log.metric writes it (no requestId, no level)."""
    return json.dumps({"_aws": {"Timestamp": 0, "CloudWatchMetrics": [{"Namespace": "DISA",
            "Dimensions": [["Environment"]], "Metrics": [{"Name": name, "Unit": "Count"}]}]},
            "Environment": "dev", name: 1, "id": key})  # fmt: skip


TRACEBACK = (
    "[ERROR] PublishError: AuthorizationError\rTraceback (most recent call last):\r"
    '\xa0\xa0File "/var/task/disa_process/handler.py", line 140, in publish\r'
    "\xa0\xa0\xa0\xa0raise PublishError(code) from None"
)


def build(tmp: Path) -> Path:
    """Create the env's resources in moto; returns the config dir holding dev.yaml."""
    (tmp / "dev.yaml").write_text(ENV_FILE, encoding="utf-8")
    client("cloudformation").create_stack(StackName="disa-dev",
                                          TemplateBody=json.dumps(ROOT_TEMPLATE))  # fmt: skip
    create_table()
    client("stepfunctions").create_state_machine(
        name=STATE_MACHINE,
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/disa/dev/state-machine",
    )
    for group in GROUPS.values():
        client("logs").create_log_group(logGroupName=group)
    create_retry_function()
    return tmp


def create_retry_function() -> None:
    role = client("iam").create_role(RoleName="retry", Path="/disa/dev/",
                                     AssumeRolePolicyDocument="{}")["Role"]["Arn"]  # fmt: skip
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("disa_retry/handler.py", "")
    client("lambda").create_function(
        FunctionName="disa-dev-retry", Runtime="python3.11", Role=role,
        Handler="disa_retry.handler.lambda_handler", Code={"ZipFile": code.getvalue()},
        Environment={"Variables": RETRY_ENVIRONMENT},
    )  # fmt: skip


class Processing:
    """A sleep that plays the system: the items just written become Successful meanwhile."""

    def __init__(self, edge: Edge) -> None:
        self.edge = edge

    def __call__(self, seconds: float) -> None:
        ddb = client("dynamodb")
        for item in ddb.scan(TableName="disa-dev-messages")["Items"]:
            if "status" in item:
                continue
            ddb.update_item(
                TableName="disa-dev-messages", Key={"id": item["id"]},
                UpdateExpression="SET #s = :s, sns_message_id = :m, #e = :e",
                ExpressionAttributeNames={"#s": "status", "#e": "execution"},
                ExpressionAttributeValues={":s": {"S": "Successful"}, ":m": {"S": "sns-9"},
                                           ":e": {"S": "x-r1"}},
            )  # fmt: skip
        self.edge.clock.sleep(seconds)  # type: ignore[attr-defined]


@dataclass
class Cli:
    config_dir: Path
    edge: Edge

    def __call__(self, *args: str, edge: Edge | None = None) -> Result:
        extra = ("--project-dir", str(ROOT), "--config-dir", str(self.config_dir))
        return CliRunner().invoke(cli, [*args, *extra], obj=edge or self.edge, env={"CI": ""})
