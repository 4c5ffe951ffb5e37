"""Benchmark local mode end to end: a burst of items written at once, to a terminal status.

    python tests/benchmarks/bench_local.py [--items 200] [--profile DIR]

Starts a private emulator (free port, temporary state dir), deploys the real tree with
``disa-deploy up --env local``, sends one message and follows it to ``Successful`` (what
``up --smoke`` does; it also loads what a first message loads), then writes ``--items`` items
with a ``message`` at once
(BatchWriteItem, 25 per call, from 8 threads) and polls the table until every item has a
terminal status (Successful, Failure, Invalid, Exhausted). It prints one row:
``local burst (200): N msg/s, p50/p95 to terminal``, where N is the number of items over the
seconds from the first write to the last terminal status, and p50/p95 are each item's
seconds from its write to its terminal status (the ``updated_at`` the state machine wrote).
With ``--profile DIR``, py-spy (if installed) records the emulator during the burst and
writes DIR/emulator.folded (collapsed stacks, for flamegraph tools). Stops what it started.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from deployer.cli import cli
from deployer.config.environment import DEFAULT_CONFIG_DIR
from deployer.local import emulator_status, stop_emulator
from deployer.local.records import read_record
from deployer.wiring import Edge

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: the tests' helpers live under ROOT

from tests.support.emulator import emulator_client, free_port  # noqa: E402

TERMINAL = {"Successful", "Failure", "Invalid", "Exhausted"}
TIMEOUT_SECONDS = 600.0
TARGET_PER_SECOND = 25.0


def log(line: str) -> None:
    print(line, file=sys.stderr)


def deploy(project: Path, port: int) -> str:
    args = ["up", "--env", "local", "--config-dir", str(DEFAULT_CONFIG_DIR),
            "--project-dir", str(project)]  # fmt: skip
    env = {"DISA_LOCAL_PORT": str(port), "CI": ""}
    result = CliRunner().invoke(cli, args, obj=Edge(), env=env)
    if result.exit_code != 0:
        raise SystemExit(f"up failed (exit {result.exit_code}): {result.output[-1500:]}")
    endpoint = emulator_status(project / ".disa" / "local")
    assert endpoint is not None
    return endpoint


def write_burst(endpoint: str, table: str, count: int) -> dict[str, float]:
    """Write ``count`` items at once; their ids and epoch write times."""
    ids = [f"burst-{uuid.uuid4()}" for _ in range(count)]
    chunks = [ids[i : i + 25] for i in range(0, count, 25)]
    written: dict[str, float] = {}

    def put(chunk: list[str]) -> None:
        client = emulator_client(endpoint, "dynamodb")
        requests = [{"PutRequest": {"Item": {"id": {"S": i}, "message": {"S": f"m {i}"}}}}
                    for i in chunk]  # fmt: skip
        at = time.time()
        answer = client.batch_write_item(RequestItems={table: requests})
        assert not answer.get("UnprocessedItems"), answer
        written.update({i: at for i in chunk})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(put, chunks))
    return written


def wait_terminal(endpoint: str, table: str, ids: set[str]) -> dict[str, dict[str, Any]]:
    client = emulator_client(endpoint, "dynamodb")
    deadline = time.monotonic() + TIMEOUT_SECONDS
    done: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline and len(done) < len(ids):
        # Every 2 s, three attributes: the benchmark must not be the emulator's load (a scan
        # copies every item); the figures come from each item's updated_at, not from here.
        pages = client.get_paginator("scan").paginate(
            TableName=table, ConsistentRead=True, ProjectionExpression="id, #s, updated_at",
            ExpressionAttributeNames={"#s": "status"},
        )  # fmt: skip
        for page in pages:
            for item in page["Items"]:
                key = item["id"]["S"]
                status = item.get("status", {}).get("S")
                if key in ids and status in TERMINAL and key not in done:
                    done[key] = {"status": status, "seen": time.time(),
                                 "updated": item.get("updated_at", {}).get("S")}  # fmt: skip
        time.sleep(2.0)
    return done


def warm_up(endpoint: str, table: str) -> None:
    """One message to Successful, as ``up --smoke`` sends."""
    item_id = f"warm-up-{uuid.uuid4()}"
    emulator_client(endpoint, "dynamodb").put_item(
        TableName=table, Item={"id": {"S": item_id}, "message": {"S": "warm up"}}
    )
    if item_id not in wait_terminal(endpoint, table, {item_id}):
        raise SystemExit("the warm-up message did not reach a terminal status")


def updated_epoch(value: str | None, fallback: float) -> float:
    return datetime.fromisoformat(value).timestamp() if value else fallback


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def start_profiler(state_dir: Path, out: Path) -> subprocess.Popen[bytes] | None:
    record = read_record(state_dir)
    if record is None or shutil.which("py-spy") is None:
        log("py-spy not found (pip install py-spy): no profile")
        return None
    out.mkdir(parents=True, exist_ok=True)
    command = ["py-spy", "record", "--pid", str(record.pid), "--gil", "--nonblocking", "--format",
               "raw", "--rate", "100", "--output", str(out / "emulator.folded")]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_seconds(root_pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of the emulator and of its Lambda workers, now."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {"emulator": 0.0, "workers": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        seconds = (int(fields[11]) + int(fields[12])) / ticks
        if pid == root_pid:
            totals["emulator"] += seconds
        elif ppid == root_pid and b"lambda_bootstrap" in cmdline:
            totals["workers"] += seconds
    return totals


def measure(items: int, profile: Path | None = None) -> dict[str, Any]:
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"})  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="disa-bench-local-"))
    project = work / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(
        ".disa", ".git", ".venv", "__pycache__", ".*_cache"))  # fmt: skip
    state_dir = project / ".disa" / "local"
    try:
        endpoint = deploy(project, free_port())
        table = "disa-local-messages"
        warm_up(endpoint, table)
        profiler = start_profiler(state_dir, profile) if profile else None
        record = read_record(state_dir)
        assert record is not None
        cpu_before = cpu_seconds(record.pid)
        started = time.time()
        written = write_burst(endpoint, table, items)
        done = wait_terminal(endpoint, table, set(written))
        cpu = {k: v - cpu_before.get(k, 0.0) for k, v in cpu_seconds(record.pid).items()}
        if profiler is not None:
            profiler.send_signal(2)
            profiler.wait(timeout=60)
        latencies = [updated_epoch(v["updated"], v["seen"]) - written[k] for k, v in done.items()]
        last = max((updated_epoch(v["updated"], v["seen"]) for v in done.values()), default=0)
        statuses = [v["status"] for v in done.values()]
        return {
            "items": items,
            "terminal": len(done),
            "successful": statuses.count("Successful"),
            "seconds": last - started,
            "rate": len(done) / (last - started) if done else 0.0,
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p95": percentile(latencies, 0.95) if latencies else float("nan"),
            "load": os.getloadavg(),
            "cpu": cpu,
        }
    finally:
        stop_emulator(state_dir)
        shutil.rmtree(work, ignore_errors=True)


def describe(result: dict[str, Any]) -> str:
    return (f"{result['rate']:.1f} msg/s, p50 {result['p50']:.2f} s / p95 {result['p95']:.2f} s "
            f"to terminal ({result['successful']}/{result['items']} Successful)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--profile", type=Path)
    options = parser.parse_args()
    result = measure(options.items, options.profile)
    load = ", ".join(f"{x:.2f}" for x in result["load"])
    cpu = result["cpu"]
    print(f"local burst ({options.items}): {describe(result)}; load average {load}; CPU per "
          f"message: emulator {1000 * cpu['emulator'] / options.items:.0f} ms, workers "
          f"{1000 * cpu['workers'] / options.items:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
