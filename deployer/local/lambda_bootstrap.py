"""The Lambda runtime stand-in: runs one handler invocation in a fresh, isolated interpreter.

The local emulator starts this file with ``python -I`` (no PYTHONPATH, no user site, no
script directory on sys.path), so the handler sees only its own unpacked zip plus the
interpreter's installed packages (boto3, as on AWS). It must stay stdlib-only and must not
import ``deployer``: it runs inside the function's world, not the tool's.

Usage: ``python -I lambda_bootstrap.py CODE_DIR HANDLER RESULT_FILE`` with the event as JSON
on stdin. The outcome goes to RESULT_FILE as ``{"ok": true, "payload": ...}`` or
``{"ok": false, "error": {"errorType", "errorMessage", "stackTrace"}}`` (the shape Lambda
returns for a function error), so the handler's own prints on stdout/stderr stay logs.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = environ.get("DISA_LOCAL_FUNCTION_ARN", "")
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = environ.get("DISA_LOCAL_REQUEST_ID", "")
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(environ.get("DISA_LOCAL_DEADLINE_MS", "0"))

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error_type: str, message: str, tb: list[str] | None = None) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": tb or []}


def _load_handler(handler: str) -> Any:
    module_name, _, function_name = handler.rpartition(".")
    module = importlib.import_module(module_name)
    function = getattr(module, function_name, None)
    if function is None:
        raise AttributeError(f"Handler '{function_name}' missing on module '{module_name}'")
    return function


def run(code_dir: str, handler: str, event: Any) -> dict[str, Any]:
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    try:
        function = _load_handler(handler)
    except AttributeError as err:
        return {"ok": False, "error": _error("Runtime.HandlerNotFound", str(err))}
    except Exception as err:  # noqa: BLE001 - the runtime reports any import failure
        message = f"Unable to import module '{handler.rpartition('.')[0]}': {err}"
        return {"ok": False, "error": _error("Runtime.ImportModuleError", message)}
    try:
        payload = function(event, LambdaContext(dict(os.environ)))
    except Exception as err:  # noqa: BLE001 - a function error, reported like Lambda does
        frames = traceback.format_tb(err.__traceback__)
        traceback.print_exc()
        return {"ok": False, "error": _error(type(err).__name__, str(err), frames)}
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as err:
        return {"ok": False, "error": _error("Runtime.MarshalError", str(err))}
    return {"ok": True, "payload": payload}


def main() -> None:
    code_dir, handler, result_file = sys.argv[1:4]
    event = json.loads(sys.stdin.read() or "{}")
    outcome = run(code_dir, handler, event)
    with open(result_file, "w", encoding="utf-8") as out:
        json.dump(outcome, out)


if __name__ == "__main__":
    main()
