"""Patch: Lambda functions run without Docker, in warm workers, and log like Lambda.

What moto lacks: ``LambdaFunction._invoke_lambda`` is the single place moto runs function
code, and it only knows how to do that in a Docker container (without Docker every invoke
returns "error running docker"); the output it logs is one stream per invocation.

What the patch does: it replaces that one method. The function's zip is unpacked once per
code SHA-256 under the emulator's state dir; invocations go to a pool of warm workers
(:mod:`deployer.local.workers`) per function configuration, each started with the function's
environment variables, the variables the Lambda runtime sets, fake credentials, the region and
``AWS_ENDPOINT_URL`` pointing back at the emulator (nothing else of the emulator's
environment). The pool's size is the function's reserved concurrency, else
:data:`DEFAULT_POOL_SIZE`. Each invocation's output goes to the function's log group
(:mod:`deployer.local.lambda_logs`). The result keeps moto's contract ``(payload, errored,
logs)``; a function error's payload is Lambda's ``{"errorType": <exception class name>,
"errorMessage", "stackTrace"}``, so a Step Functions ``Catch`` on ``PublishError`` matches
exactly as on AWS. The emulator's lock is let go while the worker runs: the function calls
back into the emulator.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from deployer.local import lambda_logs
from deployer.local.patches import Installer, Patch
from deployer.local.serial import MOTO_LOCK
from deployer.local.workers import FunctionSpec, Invocation, Pool, Worker, failure

DEFAULT_POOL_SIZE = 4
REAP_SECONDS = 30.0  # how often idle workers are looked for (workers.IDLE_SECONDS)
# Variables of the emulator's own environment a function may see; everything else
# (the developer's AWS credentials above all) stays out.
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "TMPDIR")


class Runtime:
    """The patch's state in the emulator: where code goes, and one pool per function."""

    def __init__(self) -> None:
        self.endpoint = "http://127.0.0.1:5000"
        self.code_cache = Path(tempfile.gettempdir()) / "disa-local-lambda"
        self.pools: dict[str, Pool] = {}
        self.lock = threading.Lock()

    def pool_for(self, function: Any) -> Pool:
        spec = function_spec(function, self.code_cache)
        with self.lock:
            pool = self.pools.get(spec.arn)
            if pool is not None and pool.spec == spec:
                return pool
            if pool is not None:
                pool.retire()  # the code or configuration changed: fresh workers from now on
            pool = self.pools[spec.arn] = Pool(spec, lambda: start_worker(function, spec))
            return pool

    def reap_idle(self) -> None:
        with self.lock:
            pools = list(self.pools.values())
        for pool in pools:
            pool.reap(time.monotonic())

    def reap_forever(self) -> None:
        while True:
            time.sleep(REAP_SECONDS)
            self.reap_idle()

    def retire_all(self) -> None:
        with self.lock:
            pools, self.pools = list(self.pools.values()), {}
        for pool in pools:
            pool.retire()


RUNTIME = Runtime()
_UNPACK_LOCK = threading.Lock()


def install(installer: Installer) -> None:
    from moto.awslambda.models import LambdaFunction

    RUNTIME.endpoint = installer.settings.endpoint
    RUNTIME.code_cache = installer.settings.state_dir / "lambda-code"
    installer.replace(LambdaFunction, "_invoke_lambda", _invoke_lambda)
    installer.on_undo(RUNTIME.retire_all)
    if installer.settings.start_threads:
        threading.Thread(target=RUNTIME.reap_forever, name="worker-reaper", daemon=True).start()


def unpack_code(code_bytes: bytes, cache: Path) -> Path:
    """Directory holding the unpacked zip, shared by every worker of the same code."""
    digest = hashlib.sha256(code_bytes).hexdigest()
    target = cache / digest
    with _UNPACK_LOCK:
        if not target.is_dir():
            cache.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=cache, prefix=".unpack-"))
            with zipfile.ZipFile(io.BytesIO(code_bytes)) as archive:
                archive.extractall(staging)
            staging.rename(target)
    return target


def function_spec(function: Any, cache: Path) -> FunctionSpec:
    variables = {k: str(v) for k, v in (function.environment_vars or {}).items()}
    reserved = function.reserved_concurrency
    return FunctionSpec(
        arn=function.function_arn,
        code_dir=unpack_code(function.code_bytes, cache),
        handler=str(function.handler),
        timeout=float(function.timeout or 3),
        environment=tuple(sorted(variables.items())),
        pool_size=int(reserved) if reserved else DEFAULT_POOL_SIZE,
    )


def function_environment(function: Any, stream: str) -> dict[str, str]:
    """What a Lambda execution environment would hold, pointed at the emulator."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.update(
        {
            "_HANDLER": str(function.handler),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(function.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": function.logs_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "DISA_LOCAL_FUNCTION_ARN": function.function_arn,
        }
    )
    env.update({key: str(value) for key, value in (function.environment_vars or {}).items()})
    # Set last: a function must never talk to real AWS from the emulator.
    env["AWS_ENDPOINT_URL"] = RUNTIME.endpoint
    return env


def start_worker(function: Any, spec: FunctionSpec) -> Worker:
    stream = lambda_logs.stream_name(str(function.version))
    worker = Worker(spec, function_environment(function, stream), stream)
    worker.start()
    return worker


def event_json(event: Any) -> str:
    # moto hands over the decoded request body, or the string "{}" when there was none.
    return "{}" if event is None or event == "{}" else json.dumps(event)


def run_invocation(function: Any, event: str) -> Invocation:
    """One invocation on a warm worker of ``function`` (started if none is idle)."""
    if not getattr(function, "code_bytes", b""):
        outcome = failure("Runtime.InvalidEntrypoint", "the function has no zip code")
        return Invocation("", outcome, [], 0.0, "")
    with MOTO_LOCK:
        pool = RUNTIME.pool_for(function)
    with MOTO_LOCK.released():
        worker = pool.acquire()
        try:
            if worker.init_error is not None:
                outcome = {"ok": False, "error": worker.init_error}
                init_output = worker.init_output
                request_id = str(uuid.uuid4())
                return Invocation(request_id, outcome, [], 0.0, worker.stream, 0.0, init_output)
            return worker.invoke(event)
        finally:
            pool.release(worker)


def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
    invocation = run_invocation(self, event_json(event))
    events = lambda_logs.invocation_events(invocation, int(self.memory_size or 128))
    if invocation.stream:
        with MOTO_LOCK:
            self.logs_backend.ensure_log_group(self.logs_group_name)
            self.logs_backend.ensure_log_stream(self.logs_group_name, invocation.stream)
            self.logs_backend.put_log_events(self.logs_group_name, invocation.stream, events)
    outcome, tail = invocation.outcome, lambda_logs.tail_text(events)
    if outcome.get("ok"):
        return json.dumps(outcome.get("payload")), False, tail
    error = dict(outcome.get("error") or {})
    error.setdefault("requestId", invocation.request_id)
    return json.dumps(error), True, tail


PATCH = Patch(
    name="lambda_workers",
    requires=(
        ("moto.awslambda.models", "LambdaFunction._invoke_lambda"),
        ("moto.awslambda.models", "LambdaFunction.invoke"),
        ("moto.logs.models", "LogsBackend.ensure_log_group"),
        ("moto.logs.models", "LogsBackend.ensure_log_stream"),
        ("moto.logs.models", "LogsBackend.put_log_events"),
    ),
    fields={
        "LambdaFunction": (
            "code_bytes",
            "handler",
            "environment_vars",
            "timeout",
            "logs_backend",
            "function_name",
            "function_arn",
            "region",
            "run_time",
            "memory_size",
            "version",
            "logs_group_name",
            "reserved_concurrency",
        ),
    },
    install=install,
)
