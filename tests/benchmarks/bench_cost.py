"""What a million messages cost on AWS, from real runs on the local emulator.

    python tests/benchmarks/bench_cost.py [--messages 200] [--rate 10] [--burst 50]
                                          [--failures 10] [--type STANDARD|EXPRESS]

For each workflow type it deploys the real tree on a private emulator (free port, temporary
copy of the project) with ``--parameter WorkflowType=TYPE``, sends one warm-up message,
turns the retry schedule off (its empty runs are a fixed cost per month, not per message)
and plays three scenarios with moto's request recorder on:

- steady happy path: ``--messages`` items written one at a time at ``--rate`` a second,
  each to Successful: the per-message figure. The rate stays below what the emulator
  keeps up with; the stream still hands disa_init_process a batch a second (its batching
  window), so about ``--rate`` executions start together and some wait a moment for one
  of the emulator's four workers of disa_process (AWS reserves it no concurrency: none
  would wait there). Alarm reads are one per warm container per ALARM_CACHE_SECONDS, a
  cost per hour: per message they shrink as the rate grows;
- burst: ``--burst`` items written at once (BatchWriteItem). Executions wait for a worker,
  and an Express execution bills its waiting time: the difference to the steady figure
  is that wait, an emulator figure (on AWS the wait would be Lambda's scaling, if any);
- failure, then a successful retry: ``--failures`` items written while disa_process points
  at a topic that does not exist (each ends Failure), the topic restored, one run of
  disa_retry (what the schedule would start) re-drives them, each to Successful.

It counts what AWS bills for, per message: every request the handlers and the state
machine made (the recorder; the benchmark's own reads are told apart by their user agent),
each Lambda invocation and its billed duration (the REPORT lines of the functions' log
groups), the state transitions of each execution (its history) or, for Express, each
execution's duration, the bytes written to the log groups, and the state machine's ERROR
level log records (its failed events). ``cost_model`` turns them into units and
``prices.PRICES`` into dollars. It prints

    cost per 1M messages (STANDARD): $N
    cost per 1M messages (EXPRESS): $N

(the steady happy path), then a breakdown by service for every scenario and the units
behind it. Durations are the emulator's: the handlers' own time plus moto's, on this
machine, not Lambda's. Stops every emulator it starts. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
from botocore.config import Config
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

import cost_model  # noqa: E402
from prices import DATE_READ, PRICES, REGION  # noqa: E402

from deployer.cli import cli  # noqa: E402
from deployer.config.environment import DEFAULT_CONFIG_DIR  # noqa: E402
from deployer.local import emulator_status, stop_emulator  # noqa: E402
from deployer.wiring import Edge  # noqa: E402
from tests.support.emulator import free_port  # noqa: E402

BENCH_AGENT = "disa-cost-bench"
TABLE = "disa-local-messages"
TERMINAL = {"Successful", "Failure", "Invalid", "Exhausted"}
DEADLINE_SECONDS = 300.0
INDEX_KEYS = frozenset({"retry_shard", "next_attempt_at"})
INDEX_PROJECTED = frozenset({"run", "attempts"})
FUNCTIONS = ("init-process", "process", "retry")
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")
PROCESS_FUNCTION = "disa-local-process"  # no output names it; the contract name


def log(line: str) -> None:
    print(line, file=sys.stderr)


@dataclass
class Measured:
    """What one scenario used, in billed units, and for how many messages."""

    messages: int
    units: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)

    def per_message(self) -> dict[str, float]:
        return {k: v / self.messages for k, v in self.units.items()}


class Emulator:
    """The real tree deployed on a private emulator, with clients that the recorder can
    tell apart from the system's own calls."""

    def __init__(self, project: Path, workflow: str) -> None:
        self.project, self.workflow = project, workflow
        self.state_dir = project / ".disa" / "local"
        args = ["up", "--env", "local", "--config-dir", str(DEFAULT_CONFIG_DIR), "--project-dir",
                str(project), "--parameter", f"WorkflowType={workflow}"]  # fmt: skip
        env = {"DISA_LOCAL_PORT": str(free_port()), "CI": ""}
        result = CliRunner().invoke(cli, args, obj=Edge(), env=env)
        if result.exit_code != 0:
            raise SystemExit(f"up failed (exit {result.exit_code}): {result.output[-1500:]}")
        endpoint = emulator_status(self.state_dir)
        assert endpoint is not None
        self.endpoint = endpoint
        outputs = self.client("cloudformation").describe_stacks(StackName="disa-local")
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in outputs["Stacks"][0]["Outputs"]}

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(user_agent_extra=BENCH_AGENT))  # fmt: skip

    def recorder(self, verb: str) -> None:
        url = f"{self.endpoint}/moto-api/recorder/{verb}-recording"
        urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=30).read()

    def write(self, count: int, text: str, per_second: float | None = None) -> list[str]:
        """Write ``count`` items: at once (25 per BatchWriteItem), or one per request at
        ``per_second`` (the benchmark's writes are counted as the requests they are)."""
        ids = [f"cost-{uuid.uuid4()}" for _ in range(count)]
        ddb, size = self.client("dynamodb"), 1 if per_second else 25
        began = time.monotonic()
        for number, start in enumerate(range(0, count, size)):
            if per_second:
                time.sleep(max(0.0, began + number / per_second - time.monotonic()))
            puts = [{"PutRequest": {"Item": {"id": {"S": i}, "message": {"S": text}}}}
                    for i in ids[start : start + size]]  # fmt: skip
            assert not ddb.batch_write_item(RequestItems={TABLE: puts}).get("UnprocessedItems")
        return ids

    def wait(self, ids: list[str], done: Callable[[dict[str, Any]], bool]) -> None:
        ddb, deadline = self.client("dynamodb"), time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            items = [ddb.get_item(TableName=TABLE, Key={"id": {"S": i}}, ConsistentRead=True)
                     .get("Item", {}) for i in ids]  # fmt: skip
            if all(done(item) for item in items):
                return
            time.sleep(1.0)
        raise SystemExit("items did not reach the expected status before the deadline")

    def set_environment(self, function: str, **changes: str) -> dict[str, str]:
        aws_lambda = self.client("lambda")
        config = aws_lambda.get_function_configuration(FunctionName=function)
        before = {k: str(v) for k, v in config.get("Environment", {}).get("Variables", {}).items()}
        aws_lambda.update_function_configuration(
            FunctionName=function, Environment={"Variables": {**before, **changes}}
        )
        return before

    def disable_schedule(self) -> None:
        events = self.client("events")
        for rule in events.list_rules(NamePrefix="disa-local")["Rules"]:
            if rule.get("ScheduleExpression"):
                events.disable_rule(Name=rule["Name"])


def status_is(*wanted: str) -> Callable[[dict[str, Any]], bool]:
    return lambda item: item.get("status", {}).get("S") in wanted


def happy_path(emulator: Emulator, messages: int, per_second: float | None) -> Measured:
    def play() -> int:
        ids = emulator.write(messages, "cost model message", per_second)
        emulator.wait(ids, status_is(*TERMINAL))
        return len(ids)

    return record(emulator, play)


def failure_then_retry(emulator: Emulator, failures: int) -> Measured:
    process = PROCESS_FUNCTION
    fast = {"RETRY_BASE_SECONDS": "1", "RETRY_MAX_SECONDS": "2"}
    emulator.set_environment(emulator.outputs["InitProcessFunctionName"], **fast)
    emulator.set_environment(emulator.outputs["RetryFunctionName"], **fast)
    saved = emulator.set_environment(process, TOPIC_ARN=emulator.outputs["TopicArn"] + "-gone")

    def play() -> int:
        ids = emulator.write(failures, "cost model retry")
        emulator.wait(ids, status_is("Failure"))
        emulator.set_environment(process, TOPIC_ARN=saved["TOPIC_ARN"])
        time.sleep(3.0)  # the backoff (1-2 s here) must have passed: the run re-drives due items
        emulator.client("lambda").invoke(FunctionName=emulator.outputs["RetryFunctionName"])
        emulator.wait(ids, status_is("Successful"))
        return len(ids)

    return record(emulator, play)


def record(emulator: Emulator, play: Callable[[], int]) -> Measured:
    recording = Path(os.environ["MOTO_RECORDER_FILEPATH"])
    emulator.recorder("reset")
    emulator.recorder("start")
    started = time.time()
    try:
        messages = play()
    finally:
        emulator.recorder("stop")
    ended = time.time() + 2.0
    measured = Measured(messages)
    count_requests(recording, measured)
    count_lambda(emulator, started, ended, measured)
    count_executions(emulator, started, measured)
    return measured


def count_requests(recording: Path, measured: Measured) -> None:
    writes = []
    for line in recording.read_text().splitlines():
        entry = json.loads(line)
        headers = {k.lower(): v for k, v in entry["headers"].items()}
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        operation = operation_of(headers, body, entry["url"])
        ours = BENCH_AGENT in headers.get("user-agent", "")
        if ours and operation != "dynamodb:BatchWriteItem":
            continue  # the benchmark's own reads and settings; its writes are the requests
        measured.calls[operation] += 1
        if operation in {"dynamodb:UpdateItem", "dynamodb:PutItem"}:
            writes.append(cost_model.write_of(json.loads(body)))
        elif operation == "dynamodb:BatchWriteItem":
            for table_writes in json.loads(body)["RequestItems"].values():
                writes += [cost_model.write_of(w["PutRequest"]) for w in table_writes]
        elif operation == "dynamodb:Query":
            # One small page, eventually consistent: half a unit.
            measured.units["dynamodb.read_request_units"] += 0.5
        elif operation == "sns:Publish":
            measured.units["sns.publishes"] += 1
        elif operation == "cloudwatch:DescribeAlarms":
            measured.units["cloudwatch.api_requests"] += 1
    units = cost_model.write_request_units(writes, INDEX_KEYS, INDEX_PROJECTED)
    measured.units["dynamodb.write_request_units"] += units["table"] + units["index"]
    measured.calls["dynamodb: index writes"] += units["index"]


def operation_of(headers: dict[str, str], body: str, url: str) -> str:
    target = headers.get("x-amz-target", "")
    if target.startswith("DynamoDB_"):
        return "dynamodb:" + target.split(".")[1]
    if target.startswith("AWSStepFunctions."):
        return "states:" + target.split(".")[1]
    if target.startswith("GraniteServiceVersion"):  # CloudWatch's JSON protocol
        return "cloudwatch:" + target.split(".")[1]
    if target:
        return target
    if "/functions/" in url and url.endswith("/invocations"):
        return "lambda:Invoke"
    action = parse_qs(body).get("Action", [""])[0]
    service = {"Publish": "sns", "DescribeAlarms": "cloudwatch"}.get(action, "other")
    return f"{service}:{action or url}"


def count_lambda(emulator: Emulator, started: float, ended: float, measured: Measured) -> None:
    logs = emulator.client("logs")
    architecture = "arm64"  # every function's Architectures in lambda-function-stack.yaml
    for function in FUNCTIONS:
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/disa-local-{function}",
            startTime=int(started * 1000),
            endTime=int(ended * 1000),
        )
        sizes = []
        for page in pages:
            for event in page["events"]:
                sizes.append(len(event["message"].encode("utf-8")))
                report = cost_model.parse_report(event["message"])
                if report:
                    measured.units["lambda.requests"] += 1
                    measured.calls[f"lambda: {function} invocations"] += 1
                    gb_seconds = cost_model.lambda_gb_seconds(*report)
                    measured.units[f"lambda.{architecture}_gb_seconds"] += gb_seconds
        measured.units["logs.ingested_gb"] += cost_model.log_ingested_gb(sizes)


def count_executions(emulator: Emulator, started: float, measured: Measured) -> None:
    sfn = emulator.client("stepfunctions")
    machine = emulator.outputs["StateMachineArn"]
    executions = [e for page in sfn.get_paginator("list_executions").paginate(
                      stateMachineArn=machine) for e in page["executions"]
                  if e["startDate"].timestamp() >= started]  # fmt: skip
    for execution in executions:
        measured.calls["states: executions"] += 1
        if emulator.workflow == "EXPRESS":
            # An Express execution has no history on AWS (nor DescribeExecution): its
            # duration is what it bills, and the listing has it.
            seconds = (execution["stopDate"] - execution["startDate"]).total_seconds()
            measured.units["states.express_requests"] += 1
            measured.units["states.express_gb_seconds"] += cost_model.express_gb_seconds(seconds)
            continue
        events = [e for page in sfn.get_paginator("get_execution_history").paginate(
                      executionArn=execution["executionArn"]) for e in page["events"]]  # fmt: skip
        types = Counter(e["type"] for e in events)
        entered = sum(n for t, n in types.items() if t.endswith("StateEntered"))
        scheduled = types["LambdaFunctionScheduled"] + types["TaskScheduled"]
        transitions = entered + max(0, scheduled - types["TaskStateEntered"])  # + retries
        measured.calls["states: transitions"] += transitions
        measured.units["states.standard_transitions"] += transitions
        # Logging at level ERROR records the failed events (without execution data). Only
        # a history shows them, so an Express run's figure leaves them out (the Standard
        # run of the same scenario shows their size).
        failed = [e for e in events if e["type"].endswith(("Failed", "TimedOut", "Aborted"))]
        sizes = [len(json.dumps(e, default=str).encode()) for e in failed]
        measured.units["logs.ingested_gb"] += cost_model.log_ingested_gb(sizes)


def measure(workflow: str, args: argparse.Namespace) -> dict[str, Measured]:
    work = Path(tempfile.mkdtemp(prefix="disa-bench-cost-"))
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1",
                       "MOTO_RECORDER_FILEPATH": str(work / "recording.jsonl")})  # fmt: skip
    project = work / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(
        ".disa", ".git", ".venv", "__pycache__", ".*_cache"))  # fmt: skip
    try:
        log(f"{workflow}: deploying the real tree on a private emulator...")
        emulator = Emulator(project, workflow)
        emulator.disable_schedule()
        warm = emulator.write(1, "warm up")
        emulator.wait(warm, status_is(*TERMINAL))
        steady = f"steady happy path, {args.messages} messages at {args.rate:g}/s"
        burst = f"burst happy path, {args.burst} messages at once"
        retry = f"failure, then a successful retry, {args.failures} messages"
        results = {}
        log(f"{workflow}: {steady}...")
        results[steady] = happy_path(emulator, args.messages, args.rate)
        log(f"{workflow}: {burst}...")
        results[burst] = happy_path(emulator, args.burst, None)
        log(f"{workflow}: {retry}...")
        results[retry] = failure_then_retry(emulator, args.failures)
        return results
    finally:
        stop_emulator(project / ".disa" / "local")
        shutil.rmtree(work, ignore_errors=True)


def render(results: dict[str, dict[str, Measured]]) -> str:
    lines = []
    for workflow, scenarios in results.items():
        steady = next(iter(scenarios.values()))  # the steady happy path comes first
        total = sum(cost_model.cost_per_million(steady.per_message(), PRICES).values())
        lines.append(f"cost per 1M messages ({workflow}): ${total:.2f}")
    lines.append(f"\nprices: {REGION}, list prices read {DATE_READ} (tests/benchmarks/prices.py)")
    for workflow, scenarios in results.items():
        for name, measured in scenarios.items():
            per_service = cost_model.cost_per_million(measured.per_message(), PRICES)
            lines.append(f"\n{workflow}, {name}: "
                         f"${sum(per_service.values()):.2f} per 1M messages")  # fmt: skip
            for service, dollars in sorted(per_service.items(), key=lambda kv: -kv[1]):
                lines.append(f"  {service:<16} ${dollars:>9.2f}")
            units = ", ".join(f"{k} {v:.4g}" for k, v in sorted(measured.per_message().items()))
            lines.append(f"  units per message: {units}")
            calls = ", ".join(f"{k} {v / measured.messages:.3g}"
                              for k, v in sorted(measured.calls.items()))  # fmt: skip
            lines.append(f"  per message: {calls}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python tests/benchmarks/bench_cost.py")
    parser.add_argument("--messages", type=int, default=200, help="steady happy path")
    parser.add_argument("--rate", type=float, default=10.0, help="steady writes per second")
    parser.add_argument("--burst", type=int, default=50, help="items written at once")
    parser.add_argument("--failures", type=int, default=10)
    parser.add_argument("--type", choices=WORKFLOW_TYPES, action="append", dest="types")
    args = parser.parse_args()
    if min(args.messages, args.burst, args.failures) < 1 or args.rate <= 0:
        parser.error("--messages, --burst and --failures must be at least 1, --rate above 0")
    results = {t: measure(t, args) for t in args.types or WORKFLOW_TYPES}
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
