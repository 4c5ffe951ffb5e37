"""Helpers shared by the deployer's functional tests: a fake clock and a CLI runner."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from moto.s3 import models as s3_models

from deployer.cli import cli
from deployer.wiring import Edge

# moto's bucket model as shipped (the aws fixture wraps it; some tests want it back).
MOTO_BUCKET_CREATE = s3_models.FakeBucket.create_from_cloudformation_json
FIXTURE = Path(__file__).parent / "fixtures" / "project"
# A changed handler that still passes the gate (it compiles and has lambda_handler).
HANDLER_V2 = 'def lambda_handler(event, context):\n    return {"retried": 0, "v": 2}\n'


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Cli:
    project: Path
    edge: Edge
    env: dict[str, str] = field(default_factory=dict)

    def __call__(
        self,
        *args: str,
        edge: Edge | None = None,
        env: dict[str, str] | None = None,
        input: str | None = None,
        defaults: bool = True,
    ) -> Result:
        extra: Sequence[str] = ()
        if defaults:
            extra = (
                "--project-dir",
                str(self.project),
                "--config-dir",
                str(self.project / "config"),
            )
        return CliRunner().invoke(
            cli,
            [*args, *extra],
            obj=edge or self.edge,
            env={**self.env, **(env or {})},
            input=input,
        )


@dataclass
class CallLog:
    """Every AWS operation the CLI made, as (service, operation), via botocore's hook."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def record(self, service: str, operation: str) -> None:
        self.calls.append((service, operation))

    def count(self, operation: str) -> int:
        return sum(1 for _, op in self.calls if op == operation)

    def clear(self) -> None:
        self.calls.clear()


def counting_edge(clock: FakeClock, log: CallLog) -> Edge:
    from deployer.gateways.aws import AwsTarget, Clients, make_clients

    def factory(target: AwsTarget) -> Clients:
        return make_clients(target, on_call=log.record)

    return Edge(make_clients=factory, clock=clock, sleep=clock.sleep)


# (HTTP status, content type or None, body) by the name of the answer.
Answers = dict[str, tuple[int, str | None, bytes]]


@contextmanager
def answering_endpoint(answers: Answers) -> Iterator[tuple[str, dict[str, str]]]:
    """A real HTTP endpoint that gives, to every request, the answer ``choice["answer"]``
    names: for botocore's own parsing of answers that are not AWS's (moto would intercept
    the request before any parsing)."""
    choice = {"answer": ""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            status, content_type, body = answers[choice["answer"]]
            self.send_response(status)
            if content_type:
                self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_POST = do_PUT = do_GET = do_HEAD = answer

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", choice
    finally:
        server.shutdown()
        server.server_close()
