"""Benchmark of the DISA handlers (a script, not a test): python tests/benchmarks/bench_handlers.py

Prints one table (metric, value, target, met?): AWS API calls per message on the happy
path (counted with a botocore ``before-call`` hook on the handlers' session; the state
machine's own RecordSuccess updateItem counts as one more), alarm reads per 1,000 messages,
init-process throughput for a 100-record batch against moto, each handler's import time
beyond boto3's (``python -X importtime``) and each function's zip size.

Targets (issue 3): at most 4 calls per message plus the amortized alarm read; alarm reads
bounded by time, not messages; import well under 150 ms beyond boto3's; zips under 50 KB.
Numbers against moto measure our code plus moto, not AWS latency. ``tests/benchmarks/run.py``
prints these rows together with the deploy tool's.
"""

from __future__ import annotations

import io
import json
import math
import os
import statistics
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "code" / "python"
sys.path[:0] = [str(CODE), str(ROOT)]

for _var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_var, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    TABLE_NAME="bench-messages",
    TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:bench-messages",
    CIRCUIT_ALARM_NAME="bench-publish-failures",
    STATE_MACHINE_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:bench",
    METRIC_NAMESPACE="DISA",
    ENVIRONMENT="bench",
    LOG_LEVEL="WARNING",  # keep stdout for the table; metrics lines still print
)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from moto import mock_aws  # noqa: E402
from table import Metric, print_table  # noqa: E402

from tests.support.aws_calls import iam_action  # noqa: E402

HANDLERS = ("disa_init_process", "disa_process", "disa_retry")
BATCH = 100
ALARM_MESSAGES = 1000
ALARM_CACHE_SECONDS = 10.0  # disa_common.settings' default
CALLS_PER_MESSAGE = 4  # start, claim, publish, record (issue 3)
IMPORT_TARGET_MS = 150
ZIP_TARGET_KB = 50


def main() -> None:
    print_table(measure_all())


def measure_all() -> list[Metric]:
    with mock_aws():
        metrics = measure_flow()
    return metrics + measure_imports() + measure_zips()


def measure_flow() -> list[Metric]:
    from disa_common.container import Container
    from disa_init_process.handler import lambda_handler as init_process
    from disa_process import handler as process

    event = setup_account()
    counts: Counter[str] = Counter()
    session = boto3.session.Session()
    session.events.register("before-call", lambda model, **_: counts.update([_action(model)]))
    container = Container(session)

    started = time.perf_counter()
    answer = _quiet(init_process, event, None, container)
    elapsed = time.perf_counter() - started
    assert answer == {"batchItemFailures": []}, answer
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["id"]["S"]
        payload = {"id": key, "request": "0123456789ab", "run": 1, "attempt": 1}
        result = _quiet(process.lambda_handler, payload, None, container)
        assert result["outcome"] == "published", result
    in_code = sum(counts.values())
    per_message = (in_code + BATCH) / BATCH  # + the state machine's RecordSuccess
    alarm_reads = counts["cloudwatch:DescribeAlarms"]
    breakdown = ", ".join(f"{a.split(':')[1]} {n / BATCH:g}" for a, n in sorted(counts.items()))
    return [
        Metric(
            "API calls per message, happy path",
            f"{per_message:.2f}",
            f"<= {CALLS_PER_MESSAGE} + alarm read",
            per_message - alarm_reads / BATCH <= CALLS_PER_MESSAGE,
            f"{breakdown}, RecordSuccess 1 (state machine)",
        ),
        *measure_alarm_reads(),
        Metric(
            f"init-process throughput, {BATCH}-record batch",
            f"{BATCH / elapsed:.0f} rec/s",
            notes=f"{elapsed * 1000:.0f} ms for the batch on moto, START_CONCURRENCY=8",
        ),
    ]


def measure_alarm_reads() -> list[Metric]:
    """1,000 messages (circuit open, so only the read is a call) at two arrival rates."""
    from disa_common.container import Container
    from disa_process import handler as process

    boto3.client("cloudwatch").set_alarm_state(
        AlarmName=os.environ["CIRCUIT_ALARM_NAME"], StateValue="ALARM", StateReason="bench"
    )
    rows = []
    for rate in (100, 10):
        reads = Counter[str]()
        session = boto3.session.Session()
        session.events.register(
            "before-call", lambda model, _r=reads, **_: _r.update([_action(model)])
        )
        clock = FakeClock()
        container = Container(session, monotonic=clock)
        for i in range(ALARM_MESSAGES):
            payload = {"id": f"m-{i}", "run": 1, "attempt": 1}
            _quiet(process.lambda_handler, payload, None, container)
            clock.now += 1 / rate
        seconds = ALARM_MESSAGES / rate
        bound = math.ceil(seconds / ALARM_CACHE_SECONDS) + 1  # one per cache period, by time
        count = reads["cloudwatch:DescribeAlarms"]
        rows.append(
            Metric(
                f"alarm reads per {ALARM_MESSAGES:,} messages at {rate} msg/s",
                f"{count}",
                f"<= {bound} (1 per {ALARM_CACHE_SECONDS:g} s)",
                count <= bound,
                f"{seconds:g} s of fake clock, circuit open",
            )
        )
    return rows


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def setup_account() -> dict[str, Any]:
    """Table with stream and index, topic, alarm, Pass state machine; a 100-record event."""
    ddb = boto3.client("dynamodb")
    table = ddb.create_table(
        TableName=os.environ["TABLE_NAME"],
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    boto3.client("sns").create_topic(Name="bench-messages")
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=os.environ["CIRCUIT_ALARM_NAME"],
        Namespace="DISA",
        MetricName="PublishFailures",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    boto3.client("stepfunctions").create_state_machine(
        name="bench",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/bench",
    )
    for i in range(BATCH):
        item = {"id": {"S": f"msg-{i:03}"}, "message": {"S": f"hello {i}"}}
        ddb.put_item(TableName=os.environ["TABLE_NAME"], Item=item)
    return stream_event(table["TableDescription"]["LatestStreamArn"])


def stream_event(arn: str) -> dict[str, Any]:
    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    for record in records:
        record["eventSourceARN"] = arn
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        if created is not None:
            record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    return {"Records": records}


def measure_imports(runs: int = 7) -> list[Metric]:
    rows = []
    boto3_ms = []
    for handler in HANDLERS:
        beyond = []
        for _ in range(runs):
            own, boto = _import_times(f"{handler}.handler")
            beyond.append(own)
            boto3_ms.append(boto)
        median = statistics.median(beyond)
        rows.append(
            Metric(
                f"import time beyond boto3, {handler}",
                f"{median:.1f} ms",
                f"well under {IMPORT_TARGET_MS} ms",
                median < IMPORT_TARGET_MS,
                f"median of {runs}, python -X importtime",
            )
        )
    boto3_median = statistics.median(boto3_ms)
    rows.append(Metric("import time of boto3 itself", f"{boto3_median:.0f} ms", notes="reference"))
    return rows


def _import_times(module: str) -> tuple[float, float]:
    """(ms for ``module`` once boto3 is loaded, ms for boto3) from -X importtime."""
    env = dict(os.environ, PYTHONPATH=str(CODE), PYTHONDONTWRITEBYTECODE="")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import boto3; import {module}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    top_level: dict[str, int] = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2][1:]
        if not name.startswith(" "):  # nesting level 0: imported by the -c statement
            top_level[name.strip()] = int(parts[1])
    package = module.split(".")[0]
    own = sum(us for name, us in top_level.items() if name.split(".")[0] == package)
    return own / 1000, top_level["boto3"] / 1000


def measure_zips() -> list[Metric]:
    rows = []
    for handler in HANDLERS:
        body = _build_zip(CODE / handler, CODE / "disa_common")
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            files = len(archive.namelist())
        size_kb = len(body) / 1024
        rows.append(
            Metric(
                f"zip size, {handler}.zip",
                f"{size_kb:.1f} KB",
                f"< {ZIP_TARGET_KB} KB",
                size_kb < ZIP_TARGET_KB,
                f"{files} files",
            )
        )
    return rows


def _build_zip(function_dir: Path, common_dir: Path) -> bytes:
    try:  # the deploy tool's own packager, when present, so the size is the shipped one
        from deployer.artifacts.zips import build_zip
    except ImportError:
        return _fallback_zip(function_dir, common_dir)
    return build_zip(function_dir, common_dir)


def _fallback_zip(function_dir: Path, common_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for directory in (function_dir, common_dir):
            for path in sorted(directory.rglob("*.py")):
                name = f"{directory.name}/{path.relative_to(directory).as_posix()}"
                archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), path.read_bytes())
    return buffer.getvalue()


def _action(model: Any) -> str:
    return iam_action(model.service_model.service_name, model.name)


def _quiet(function: Any, *args: Any) -> Any:
    """Call a handler with its stdout (logs, EMF lines) discarded."""
    saved, sys.stdout = sys.stdout, io.StringIO()
    try:
        return function(*args)
    finally:
        sys.stdout = saved


if __name__ == "__main__":
    main()
