"""Import each function's entry module as Lambda would, in an interpreter that has only the
standard library and the Lambda runtime's boto3; print one JSON list of outcomes.

Run as ``python -I -S -B import_probe.py SPEC.json`` by :mod:`deployer.artifacts.handlers`:
``-I -S`` leave out the tool's virtual environment, ``PYTHONPATH`` and site-packages, so an
import that works only because this machine has a package installed fails here as it would
in Lambda. It imports nothing of disa-deploy (it is not importable from here) and only the
standard library itself. Between functions the modules loaded from the previous function's
folder are dropped, so each function imports from its own package, as in its own container.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import traceback
from typing import Any


def main(spec_path: str) -> int:
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    base = [p for p in sys.path if p and p != os.path.dirname(os.path.abspath(__file__))]
    results = [_probe(job, base, spec["runtime"]) for job in spec["functions"]]
    out = sys.__stdout__
    assert out is not None
    out.write(json.dumps(results))
    return 0


def _probe(job: dict[str, str], base: list[str], runtime: str) -> dict[str, Any]:
    root = job["root"]
    sys.path[:] = [root, *base, runtime]  # Lambda: the task root first, the runtime after
    os.environ.update(LAMBDA_TASK_ROOT=root, _HANDLER=job["handler"],
                      AWS_LAMBDA_FUNCTION_NAME=job["id"])  # fmt: skip
    error: dict[str, Any] | None = None
    sink = io.StringIO()  # a module that prints on import must not corrupt our JSON
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            module = importlib.import_module(job["module"])
        if not callable(getattr(module, job["attr"], None)):
            message = f"module {job['module']} has no function {job['attr']}"
            error = {"type": "HandlerNotFound", "message": message, "file": None, "line": None}
    except BaseException as err:  # noqa: BLE001 - SystemExit at import is a failure too
        error = _describe(err, root)
    finally:
        _forget(root)
    return {"id": job["id"], "error": error}


def _describe(err: BaseException, root: str) -> dict[str, Any]:
    file, line = None, None
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename.startswith(root + os.sep):
            file, line = frame.filename, frame.lineno
    if isinstance(err, SyntaxError) and err.filename and err.filename.startswith(root + os.sep):
        file, line = err.filename, err.lineno
    missing = getattr(err, "name", None) if isinstance(err, ModuleNotFoundError) else None
    return {"type": type(err).__name__, "message": str(err), "file": file, "line": line,
            "missing": missing}  # fmt: skip


def _forget(root: str) -> None:
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None) or ""
        paths = list(getattr(module, "__path__", None) or [])
        if where.startswith(root + os.sep) or any(p.startswith(root + os.sep) for p in paths):
            del sys.modules[name]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
