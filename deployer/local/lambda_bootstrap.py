"""The Lambda runtime stand-in: one warm execution environment for one function's code.

The local emulator starts this file with ``python -I`` (no PYTHONPATH, no user site, no
script directory on sys.path), so the handler sees only its own unpacked zip plus the
interpreter's installed packages (boto3, as on AWS). It must stay stdlib-only and must not
import ``deployer``: it runs inside the function's world, not the tool's.

Usage: ``python -I lambda_bootstrap.py CODE_DIR HANDLER RESULT_FD``. Like Lambda's runtime it
imports the handler once (the init phase), then serves invocation after invocation, so module
globals and per-container caches stay warm between them. The protocol, one JSON line each:

- first, on RESULT_FD: ``{"ready": true, "init_ms": ...}``, or ``{"ready": false, "error":
  {...}}`` when the import failed (the environment then exits, as a failed init does);
- per invocation, on stdin: ``{"id": request id, "deadline_ms": epoch ms, "event": JSON text}``;
  on RESULT_FD: ``{"ok": true, "payload": ...}`` or ``{"ok": false, "error": {"errorType",
  "errorMessage", "stackTrace"}}`` (the shape Lambda returns for a function error), plus
  ``max_rss_kb``.

Whatever the handler prints (stdout and stderr share one pipe, so their order is kept) is the
invocation's log; a line ``END_MARKER + "init"`` after the import and ``END_MARKER + request
id`` after each invocation close each phase's output, so the emulator knows where it ends.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import IO, Any

END_MARKER = "\x1edisa-local-end "


class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    def __init__(self, environ: dict[str, str], request_id: str, deadline_ms: int) -> None:
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = environ.get("DISA_LOCAL_FUNCTION_ARN", "")
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request_id
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error_type: str, message: str, tb: list[str] | None = None) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": tb or []}


def load_handler(code_dir: str, handler: str) -> Any:
    """The handler function, or an error dict shaped as Lambda reports a failed init."""
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # noqa: BLE001 - the runtime reports any import failure
        message = f"Unable to import module '{module_name}': {err}"
        return _error("Runtime.ImportModuleError", message)
    function = getattr(module, function_name, None)
    if function is None:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        return _error("Runtime.HandlerNotFound", message)
    return function


def invoke(function: Any, request: dict[str, Any]) -> dict[str, Any]:
    """One invocation: the handler's answer, or its error as Lambda reports it."""
    context = LambdaContext(dict(os.environ), request["id"], int(request["deadline_ms"]))
    os.environ["_X_AMZN_REQUEST_ID"] = request["id"]
    try:
        payload = function(json.loads(request["event"]), context)
    except Exception as err:  # noqa: BLE001 - a function error, reported like Lambda does
        frames = traceback.format_tb(err.__traceback__)
        # The runtime logs "[ERROR] Type: message" and the traceback; one line per event.
        print(f"[ERROR] {type(err).__name__}: {err}", file=sys.stderr)
        print("Traceback (most recent call last):", file=sys.stderr)
        print("".join(frames).rstrip("\n"), file=sys.stderr)
        return {"ok": False, "error": _error(type(err).__name__, str(err), frames)}
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as err:
        return {"ok": False, "error": _error("Runtime.MarshalError", str(err))}
    return {"ok": True, "payload": payload}


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def _close_output(phase: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(1, f"{END_MARKER}{phase}\n".encode())


def serve(code_dir: str, handler: str, result_fd: int) -> int:
    # The protocol's stdin is ours; the handler gets an empty one, as on Lambda.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    results = os.fdopen(result_fd, "w", encoding="utf-8")
    started = time.monotonic()
    function = load_handler(code_dir, handler)
    if isinstance(function, dict):  # logged as the runtime logs a failed init
        print(f"[ERROR] {function['errorType']}: {function['errorMessage']}", file=sys.stderr)
    _close_output("init")  # what the import printed is the init phase's output
    if isinstance(function, dict):
        _send(results, {"ready": False, "error": function})
        return 1
    _send(results, {"ready": True, "init_ms": (time.monotonic() - started) * 1000})
    for line in requests:
        request = json.loads(line)
        outcome = invoke(function, request)
        _close_output(request["id"])
        outcome["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _send(results, outcome)
    return 0


def main() -> None:
    code_dir, handler, result_fd = sys.argv[1:4]
    sys.exit(serve(code_dir, handler, int(result_fd)))


if __name__ == "__main__":
    main()
