"""Benchmark disa-deploy against a local moto server: API calls and wall time.

    python tests/benchmarks/bench_deploy.py [--project-dir DIR]

Starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 (a free port), points an env at it
(``endpoint_url``), and runs through the CLI, counting every AWS call with botocore's
``before-call`` hook: ``package`` cold (store created, everything uploaded) and warm
(nothing changed), ``up`` create and no-op. Targets: warm package makes zero PutObject calls,
no-op up makes zero CreateChangeSet calls. Then, if the ``aws`` CLI is installed, times
``aws cloudformation package`` on the same templates (cold and warm) for comparison.

Plain moto (without deployer.local's patches) cannot run every resource type of the real
templates, so ``up`` defaults to the small fixture project the functional tests use; pass
``--project-dir .`` to try the real tree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from deployer.aws import AwsTarget, Clients, make_clients
from deployer.cli import cli
from deployer.wiring import Edge

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "functional" / "deployer" / "fixtures" / "project"
TARGETS = {"package warm": ("PutObject", 0), "up no-op": ("CreateChangeSet", 0)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_step(label: str, args: list[str], calls: Counter[str], rows: list[tuple[str, ...]]) -> None:
    edge = Edge(make_clients=counting_clients(calls), poll_seconds=0.1)
    calls.clear()
    started = time.perf_counter()
    result = CliRunner().invoke(cli, args, obj=edge)
    seconds = time.perf_counter() - started
    puts, change_sets = calls["PutObject"], calls["CreateChangeSet"]
    verdict = ""
    if label in TARGETS and result.exit_code == 0:
        op, limit = TARGETS[label]
        verdict = "ok" if calls[op] <= limit else f"MISSED ({op}={calls[op]})"
    status = "ok" if result.exit_code == 0 else f"exit {result.exit_code}"
    rows.append((label, status, str(sum(calls.values())), str(puts), str(change_sets),
                 f"{seconds:.2f}", verdict))  # fmt: skip
    if result.exit_code != 0:
        print(result.stderr[-1500:], file=sys.stderr)


def counting_clients(calls: Counter[str]):  # type: ignore[no-untyped-def]
    def factory(target: AwsTarget) -> Clients:
        return make_clients(target, on_call=lambda _service, op: calls.update([op]))

    return factory


def aws_cli_rows(project: Path, endpoint: str, rows: list[tuple[str, ...]]) -> None:
    if shutil.which("aws") is None:
        print("aws CLI not installed: no `aws cloudformation package` comparison")
        return
    out = Path(tempfile.mkdtemp()) / "packaged.yaml"
    # AWS_ENDPOINT_URL reaches package's S3 client too (--endpoint-url only the CFN one)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}
    subprocess.run(["aws", "s3", "mb", "s3://bench-aws-cli"],
                   env=env, capture_output=True, check=False)  # fmt: skip
    for label in ("aws cfn package cold", "aws cfn package warm"):
        started = time.perf_counter()
        done = subprocess.run(
            ["aws", "cloudformation", "package", "--template-file",
             str(project / "cft" / "disa-root-stack.yaml"), "--s3-bucket", "bench-aws-cli",
             "--output-template-file", str(out)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
        if done.returncode:
            print(done.stderr[-800:], file=sys.stderr)
        rows.append((label, status, "n/a", "n/a", "n/a", f"{time.perf_counter() - started:.2f}",
                     "templates only: no zips for Code.S3Key dirs"))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=FIXTURE)
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="use deployer.local's patched emulator instead of plain moto",
    )
    options = parser.parse_args()
    project_src = options.project_dir.resolve()
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "CI": ""})  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="disa-bench-"))
    project = work / "project"
    shutil.copytree(project_src, project, ignore=shutil.ignore_patterns(".disa", ".git", ".venv"))
    port = free_port()
    if options.emulator:
        from deployer.local import ensure_emulator, stop_emulator

        endpoint = ensure_emulator(work / "emulator", port, print)
        stop = lambda: stop_emulator(work / "emulator")  # noqa: E731
    else:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
        server.start()
        # plain moto reads path-style TemplateURLs only on "localhost" (deployer.local
        # patches the same for 127.0.0.1)
        endpoint, stop = f"http://localhost:{port}", server.stop
    config = work / "config"
    config.mkdir()
    (config / "bench.yaml").write_text(
        # local: true = emulator rules (dummy credentials, moto's bucket-model gap tolerated)
        f"local: true\nregion: us-east-1\nendpoint_url: {endpoint}\n"
    )
    base = ["--env", "bench", "--config-dir", str(config), "--project-dir", str(project)]
    calls: Counter[str] = Counter()
    rows: list[tuple[str, ...]] = []
    try:
        for label, command in [("package cold", "package"), ("package warm", "package"),
                               ("up create", "up"), ("up no-op", "up")]:  # fmt: skip
            run_step(label, [command, *base], calls, rows)
        aws_cli_rows(project, endpoint, rows)
    finally:
        stop()
        shutil.rmtree(work, ignore_errors=True)
    header = ("step", "result", "API calls", "PutObject", "CreateChangeSet", "seconds", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"project: {project_src}   server: moto {endpoint}")
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
