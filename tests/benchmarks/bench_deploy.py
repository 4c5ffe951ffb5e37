"""Benchmark disa-deploy against a local moto server: API calls and wall time.

    python tests/benchmarks/bench_deploy.py [--project-dir DIR] [--emulator]

Starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 (a free port), points an env at it
(``endpoint_url``), and runs through the CLI, counting every AWS call with botocore's
``before-call`` hook: ``package`` cold (store created, everything uploaded) and warm
(nothing changed), ``up`` create and no-op. Targets: warm package makes zero PutObject calls,
no-op up makes zero CreateChangeSet calls. Then, if the ``aws`` CLI is installed, times
``aws cloudformation package`` on the same templates (cold and warm) for comparison.

Plain moto (without deployer.local's patches) cannot run every resource type of the real
templates, so ``up`` defaults to the small fixture project the functional tests use; pass
``--emulator --project-dir .`` for the real tree on deployer.local's emulator.
:func:`up_from_nothing` times what a new user runs first: ``disa-deploy up`` with no
emulator, no store and no stack. ``tests/benchmarks/run.py`` prints both as metrics.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from deployer.cli import cli
from deployer.config.environment import DEFAULT_CONFIG_DIR
from deployer.gateways.aws import AwsTarget, Clients, make_clients
from deployer.wiring import Edge

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "functional" / "deployer" / "fixtures" / "project"
TARGETS = {"package warm": ("PutObject", 0), "up create": ("CreateChangeSet", 1),
           "up no-op": ("CreateChangeSet", 0)}  # fmt: skip
STEPS = [("package cold", "package"), ("package warm", "package"), ("up create", "up"),
         ("up no-op", "up")]  # fmt: skip
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "CI": ""}  # fmt: skip


@dataclass
class Step:
    label: str
    exit_code: int
    seconds: float
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def target_met(self) -> bool | None:
        if self.label not in TARGETS:
            return None if self.ok else False
        op, wanted = TARGETS[self.label]
        return self.ok and self.calls[op] == wanted


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log(line: str) -> None:
    print(line, file=sys.stderr)


def run_step(label: str, args: list[str], edge: Edge | None = None,
             env: dict[str, str] | None = None) -> Step:  # fmt: skip
    step = Step(label, 0, 0.0)
    edge = edge or Edge(poll_seconds=0.1)
    edge.make_clients = counting_clients(step.calls)
    started = time.perf_counter()
    result = CliRunner().invoke(cli, args, obj=edge, env=env)
    step.seconds, step.exit_code = time.perf_counter() - started, result.exit_code
    if result.exit_code != 0:
        log(result.stderr[-1500:])
    return step


def counting_clients(calls: Counter[str]) -> Callable[[AwsTarget], Clients]:
    def factory(target: AwsTarget) -> Clients:
        return make_clients(target, on_call=lambda _service, op: calls.update([op]))

    return factory


@contextmanager
def bench_server(state_dir: Path, emulator: bool) -> Iterator[str]:
    """An endpoint for the run: deployer.local's emulator or plain moto; stopped afterwards."""
    port = free_port()
    if emulator:
        from deployer.local import ensure_emulator, stop_emulator

        try:
            yield ensure_emulator(state_dir, port, log)
        finally:
            stop_emulator(state_dir)
        return
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        # plain moto reads path-style TemplateURLs only on "localhost" (deployer.local
        # patches the same for 127.0.0.1)
        yield f"http://localhost:{port}"
    finally:
        server.stop()


def measure_steps(
    project_src: Path, emulator: bool, also: Callable[[Path, str], None] | None = None
) -> tuple[str, list[Step]]:
    """package cold/warm, up create/no-op on a copy of ``project_src``: (endpoint, steps)."""
    os.environ.update(CREDENTIALS)
    work = Path(tempfile.mkdtemp(prefix="disa-bench-"))
    try:
        project = copy_project(project_src, work / "project")
        with bench_server(work / "emulator", emulator) as endpoint:
            config = work / "config"
            config.mkdir()
            (config / "bench.yaml").write_text(
                # local: true = emulator rules (dummy credentials, moto's bucket-model gap)
                f"local: true\nregion: us-east-1\nendpoint_url: {endpoint}\n"
            )
            base = ["--env", "bench", "--config-dir", str(config), "--project-dir", str(project)]
            steps = [run_step(label, [command, *base]) for label, command in STEPS]
            if also is not None:
                also(project, endpoint)
        return endpoint, steps
    finally:
        shutil.rmtree(work, ignore_errors=True)


def up_from_nothing(project_src: Path) -> Step:
    """`disa-deploy up --env local` with no emulator running: start, store, package, create.

    The shipped local.yaml, on a free port (DISA_LOCAL_PORT) so a developer's own emulator
    is left alone; destroyed and stopped afterwards.
    """
    os.environ.update(CREDENTIALS)
    work = Path(tempfile.mkdtemp(prefix="disa-bench-"))
    project = copy_project(project_src, work / "project")
    args = ["--env", "local", "--config-dir", str(DEFAULT_CONFIG_DIR),
            "--project-dir", str(project)]  # fmt: skip
    env = {"DISA_LOCAL_PORT": str(free_port()), "CI": ""}
    try:
        step = run_step("up from nothing", ["up", *args], Edge(), env)
        run_step("destroy", ["destroy", "--yes", *args], Edge(), env)
        return step
    finally:
        from deployer.local import stop_emulator

        stop_emulator(project / ".disa" / "local")
        shutil.rmtree(work, ignore_errors=True)


def copy_project(source: Path, target: Path) -> Path:
    ignore = shutil.ignore_patterns(".disa", ".git", ".venv", "__pycache__", ".*_cache")
    shutil.copytree(source, target, ignore=ignore)
    return target


def aws_cli_rows(project: Path, endpoint: str, rows: list[tuple[str, ...]]) -> None:
    if shutil.which("aws") is None:
        print("aws CLI not installed: no `aws cloudformation package` comparison")
        return
    out = Path(tempfile.mkdtemp()) / "packaged.yaml"
    # AWS_ENDPOINT_URL reaches package's S3 client too (--endpoint-url only the CFN one)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}
    subprocess.run(["aws", "s3", "mb", "s3://bench-aws-cli"],
                   env=env, capture_output=True, check=False, timeout=120)  # fmt: skip
    for label in ("aws cfn package cold", "aws cfn package warm"):
        started = time.perf_counter()
        done = subprocess.run(
            ["aws", "cloudformation", "package", "--template-file",
             str(project / "cft" / "disa-root-stack.yaml"), "--s3-bucket", "bench-aws-cli",
             "--output-template-file", str(out)],
            env=env, capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
        if done.returncode:
            print(done.stderr[-800:], file=sys.stderr)
        rows.append((label, status, "n/a", "n/a", "n/a", f"{time.perf_counter() - started:.2f}",
                     "templates only: no zips for Code.S3Key dirs"))  # fmt: skip


def step_row(step: Step) -> tuple[str, ...]:
    verdict = {True: "ok", False: "MISSED", None: ""}[step.target_met()]
    return (step.label, "ok" if step.ok else f"exit {step.exit_code}",
            str(sum(step.calls.values())), str(step.calls["PutObject"]),
            str(step.calls["CreateChangeSet"]), f"{step.seconds:.2f}", verdict)  # fmt: skip


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
    aws_rows: list[tuple[str, ...]] = []
    endpoint, steps = measure_steps(
        project_src, options.emulator, lambda project, url: aws_cli_rows(project, url, aws_rows)
    )
    header = ("step", "result", "API calls", "PutObject", "CreateChangeSet", "seconds", "target")
    rows = [header, *(step_row(step) for step in steps), *aws_rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    print(f"project: {project_src}   server: moto {endpoint}")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
