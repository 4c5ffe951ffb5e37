"""Patch 1 — Lambda functions run without Docker.

What moto lacks: ``LambdaFunction._invoke_lambda`` is the single place moto runs function
code, and it only knows how to do that in a Docker container (without Docker every invoke
returns "error running docker").

What the patch does: it replaces that one method. The function's own zip is unpacked once
per code SHA-256 under the emulator's state dir, then each invocation runs
``lambda_bootstrap.py`` in a fresh ``sys.executable -I`` subprocess with the function's
environment variables, the variables the Lambda runtime sets, fake credentials, the region and
``AWS_ENDPOINT_URL`` pointing back at the emulator, and a context object whose
``get_remaining_time_in_millis`` honours the function's Timeout. The result keeps moto's
contract ``(payload, errored, logs)``; a function error's payload is Lambda's
``{"errorType": <exception class name>, "errorMessage", "stackTrace"}``, so a Step Functions
``Catch`` on ``PublishError`` matches exactly as on AWS.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaFunction

from deployer.local.patches import replace_attribute

LOG = logging.getLogger("disa.local.lambda")
BOOTSTRAP = Path(__file__).resolve().parents[1] / "lambda_bootstrap.py"
# Seconds allowed beyond the function's Timeout for interpreter start-up and teardown.
START_GRACE_SECONDS = 3
# Variables of the emulator's own environment a function may see; everything else
# (the developer's AWS credentials above all) stays out.
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "TMPDIR")


@dataclass
class RuntimeSettings:
    endpoint: str = "http://127.0.0.1:5000"
    code_cache: Path = Path(tempfile.gettempdir()) / "disa-local-lambda"


SETTINGS = RuntimeSettings()
_UNPACK_LOCK = threading.Lock()


def install(endpoint: str, code_cache: Path) -> None:
    """Point functions back at ``endpoint`` and run them from zips unpacked in ``code_cache``."""
    SETTINGS.endpoint = endpoint
    SETTINGS.code_cache = code_cache
    replace_attribute(LambdaFunction, "_invoke_lambda", _invoke_lambda)


def unpack_code(code_bytes: bytes, cache: Path) -> Path:
    """Directory holding the unpacked zip, shared by every invocation of the same code."""
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


def function_environment(function: Any, request_id: str, deadline_ms: int) -> dict[str, str]:
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
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{request_id}",
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "DISA_LOCAL_REQUEST_ID": request_id,
            "DISA_LOCAL_DEADLINE_MS": str(deadline_ms),
            "DISA_LOCAL_FUNCTION_ARN": function.function_arn,
        }
    )
    env.update({key: str(value) for key, value in (function.environment_vars or {}).items()})
    # Set last: a function must never talk to real AWS from the emulator.
    env["AWS_ENDPOINT_URL"] = SETTINGS.endpoint
    return env


def event_json(event: Any) -> str:
    # moto hands over the decoded request body, or the string "{}" when there was none.
    return "{}" if event is None or event == "{}" else json.dumps(event)


def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
    self.logs_backend.ensure_log_group(self.logs_group_name)
    request_id = str(uuid.uuid4())
    timeout = int(self.timeout or 3)
    outcome, logs = run_handler(self, event_json(event), request_id, timeout)
    self.save_logs(logs)
    for line in logs.splitlines():
        LOG.info("%s %s", self.function_name, line)
    if outcome.get("ok"):
        return json.dumps(outcome.get("payload")), False, logs
    error = dict(outcome.get("error") or {})
    error.setdefault("requestId", request_id)
    return json.dumps(error), True, logs


def run_handler(
    function: Any, event: str, request_id: str, timeout: int
) -> tuple[dict[str, Any], str]:
    """Run one invocation; returns the bootstrap's outcome and the captured output."""
    if not getattr(function, "code_bytes", b""):
        return _failure("Runtime.InvalidEntrypoint", "the function has no zip code"), ""
    code_dir = unpack_code(function.code_bytes, SETTINGS.code_cache)
    deadline_ms = int(time.time() * 1000) + timeout * 1000
    env = function_environment(function, request_id, deadline_ms)
    with tempfile.TemporaryDirectory(prefix="disa-invoke-") as scratch:
        result_file = Path(scratch) / "result.json"
        command = [sys.executable, "-I", str(BOOTSTRAP), str(code_dir), str(function.handler)]
        command.append(str(result_file))
        try:
            done = subprocess.run(
                command,
                input=event,
                capture_output=True,
                text=True,
                env=env,
                cwd=scratch,
                timeout=timeout + START_GRACE_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as expired:
            message = f"Task timed out after {timeout:.2f} seconds"
            return _failure("Sandbox.Timedout", message), _text(expired.stdout)
        logs = done.stdout + done.stderr
        if not result_file.exists():
            message = f"Runtime exited with error: exit status {done.returncode}"
            return _failure("Runtime.ExitError", message), logs
        return json.loads(result_file.read_text(encoding="utf-8")), logs


def _failure(error_type: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"errorType": error_type, "errorMessage": message}}


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""
