"""What the operate commands cost in AWS calls: python tests/benchmarks/bench_operate.py

Builds an env in in-process moto (the functional tests' world: root stack, messages table
with its retry index, state machine, log groups holding lines shaped as Lambda writes
them), seeds it with ``--items`` items (default 1,000 Successful, 50 Failure, 10
Exhausted) and one item with two runs and its log lines, then runs each operate command
through the CLI, counting every AWS call with botocore's before-call hook, and prints one
row per command: calls by operation, and the items DynamoDB read where it says. moto
reports no real read units; on AWS the commands print DynamoDB's own figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for folder in ("code/python", "tests", "tests/functional/operate", "."):
    sys.path.insert(0, str(ROOT / folder))

from moto import mock_aws  # noqa: E402
from operate_world import (  # noqa: E402
    Cli,
    Logs,
    Processing,
    build,
    client,
    put_failed,
    start_execution,
)

from deployer.gateways.aws import AwsTarget, Clients, make_clients  # noqa: E402
from deployer.wiring import Edge  # noqa: E402
from tests.benchmarks.table import Metric, print_table  # noqa: E402

# (row of the README's cost table, command line)
COMMANDS = [
    ("status", ("status",)),
    ("send", ("send", "hello")),
    ("logs", ("logs",)),
    ("logs --id", ("logs", "--id", "traced")),
    ("trace", ("trace", "traced")),
    ("items --status Failure", ("items", "--status", "Failure")),
    ("items --status Exhausted", ("items", "--status", "Exhausted")),
    ("items", ("items",)),
    # last: a re-drive changes the items the rows above read
    ("redrive --status Exhausted --dry-run", ("redrive", "--status", "Exhausted", "--dry-run")),
    ("redrive --status Exhausted", ("redrive", "--status", "Exhausted", "--yes")),
]


def seed(successful: int, failed: int, exhausted: int) -> None:
    ddb = client("dynamodb")
    rows = [(f"ok-{i}", "Successful") for i in range(successful)]
    rows += [(f"ex-{i}", "Exhausted") for i in range(exhausted)]
    for key, status in rows:
        ddb.put_item(TableName="disa-dev-messages", Item={
            "id": {"S": key}, "message": {"S": "x" * 200}, "status": {"S": status},
            "updated_at": {"S": "2025-01-01T00:00:00.000Z"}, "run": {"N": "1"}})  # fmt: skip
    for i in range(failed):
        put_failed(f"f-{i}", attempts=1, updated_at="2025-01-01T00:00:00.000Z")
    for queue in ("disa-dev-stream-dlq", "disa-dev-subscription-dlq"):  # as deployed
        client("sqs").create_queue(QueueName=queue)
    for run in (1, 2):
        start_execution("traced", run)
    put_failed("traced", attempts=2, updated_at="2025-01-01T00:00:01.000Z", run=2)
    logs = Logs()
    for n in range(20):  # other items' invocations around it
        logs.invocation("process", [{"event": "published", "id": f"ok-{n}"}])
    failed = {"event": "publish failed", "level": "ERROR", "id": "traced"}
    logs.invocation("process", [failed], error="[ERROR] PublishError: x\rTraceback (most recent")


def measure(cli: Cli, args: tuple[str, ...]) -> tuple[Counter[str], dict[str, object]]:
    calls: Counter[str] = Counter()

    def factory(target: AwsTarget) -> Clients:
        return make_clients(target, on_call=lambda service, op: calls.update([op]))

    edge = replace(cli.edge, make_clients=factory)
    if args[0] == "send":
        edge.sleep = Processing(edge)
    result = cli(*args, "--env", "dev", "--output", "json", edge=edge)
    if result.exit_code != 0:
        raise SystemExit(f"{' '.join(args)}: exit {result.exit_code}\n{result.output}")
    return calls, json.loads(result.stdout)


def measure_all(successful: int = 1000) -> list[tuple[str, Counter[str], object]]:
    """(README row, calls by operation, items read) of every command, in a fresh env."""
    rows = []
    with mock_aws(), tempfile.TemporaryDirectory() as tmp:
        clock = _Clock()
        cli = Cli(build(Path(tmp)), Edge(clock=clock, sleep=clock.sleep))
        seed(successful, 50, 10)
        for label, args in COMMANDS:
            calls, summary = measure(cli, args)
            counts = summary.get("counts", {})
            rows.append((label, calls, counts.get("read") if isinstance(counts, dict) else None))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000, help="Successful items to seed")
    options = parser.parse_args()
    metrics = []
    for label, calls, read in measure_all(options.items):
        shown = ", ".join(f"{n} {op}" for op, n in sorted(calls.items()))
        notes = f"; {read} items read" if read is not None else ""
        metrics.append(Metric(label, f"{sum(calls.values())} calls", "-", None, shown + notes))
    total = options.items + 50 + 10 + 1
    print(f"operate commands on moto, table of {total} items", file=sys.stderr)
    print_table(metrics)
    return 0


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


if __name__ == "__main__":
    sys.exit(main())
