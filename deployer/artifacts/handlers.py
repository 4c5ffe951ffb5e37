"""Check every function's package before it ships: it compiles, and its handler imports.

For each ``AWS::Lambda::Function`` whose code is a local folder, the zip ``package`` would
upload is built (:func:`deployer.artifacts.zips.build_zip`) and unpacked into a scratch
folder, as Lambda unpacks it into ``/var/task``. Then:

- every ``.py`` file in it is compiled; a syntax error names the source file, line and column;
- the ``Handler`` string must name a module in the zip and a callable in it;
- the entry module is imported by :mod:`deployer.artifacts.import_probe` in a separate
  interpreter started with ``-I -S``: the standard library plus boto3 and its dependencies
  (what the Lambda Python runtime provides), nothing from this tool's environment. A failing
  import names the file and line where it failed (``import yaml`` at line 5 of the handler
  fails here as it fails in Lambda with ``Runtime.ImportModuleError``).

The probe runs with dummy credentials and every AWS endpoint pointed at a closed local port,
so a module that calls AWS while importing fails the check instead of reaching an account.
:func:`start_handler_checks` starts the probe and returns at once; the caller lints templates
meanwhile and then calls :meth:`HandlerCheck.collect`. The scratch folder is removed there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.artifacts.packager import COMMON_PACKAGE
from deployer.artifacts.tree import FunctionSource, display_name
from deployer.artifacts.zips import build_zip
from deployer.findings import Finding, Severity

COMPILE_RULE = "DISA-COMPILE"
HANDLER_RULE = "DISA-HANDLER"
IMPORT_RULE = "DISA-IMPORT"
# What the Lambda Python runtime ships besides the standard library: boto3 and its closure.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
PROBE = Path(__file__).with_name("import_probe.py")
PROBE_TIMEOUT_SECONDS = 120.0
CLOSED_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing listens, calls fail fast


@dataclass
class HandlerCheck:
    findings: list[Finding]
    jobs: dict[str, tuple[FunctionSource, Path]]  # id -> (function, unpacked root)
    project_root: Path
    scratch: tempfile.TemporaryDirectory[str] | None = None
    process: subprocess.Popen[str] | None = None
    checked: list[str] = field(default_factory=list)

    def collect(self, timeout: float = PROBE_TIMEOUT_SECONDS) -> list[Finding]:
        try:
            if self.process is not None:
                self.findings.extend(self._outcomes(timeout))
        finally:
            if self.scratch is not None:
                self.scratch.cleanup()
        return self.findings

    def _outcomes(self, timeout: float) -> list[Finding]:
        assert self.process is not None
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            return [self._probe_failed(f"importing the handlers took over {timeout:.0f} s")]
        try:
            results: list[dict[str, Any]] = json.loads(out)
        except ValueError:
            tail = (err.strip().splitlines() or ["no output"])[-1]
            return [self._probe_failed(f"the import check stopped: {tail}")]
        return [f for r in results if r.get("error") for f in [self._import_finding(r)]]

    def _import_finding(self, result: dict[str, Any]) -> Finding:
        function, root = self.jobs[result["id"]]
        error = result["error"]
        summary = f"{error['type']}: {error['message']}"
        advice = ""
        if error.get("missing"):
            advice = (" (Lambda's Python runtime has the standard library and boto3 only: "
                      "put the package in the function's folder or drop the import)")  # fmt: skip
        if error.get("file"):
            source = function.code_dir.parent / Path(error["file"]).relative_to(root)
            return Finding(Severity.ERROR, IMPORT_RULE, display_name(source, self.project_root),
                           f"{function.logical_id} ({function.handler}) fails on import: "
                           f"{summary}{advice}", error.get("line"))  # fmt: skip
        return Finding(Severity.ERROR, IMPORT_RULE, function.template,
                       f"{function.logical_id}: Handler {function.handler}: {summary}{advice}",
                       function.line, function.column)  # fmt: skip

    def _probe_failed(self, message: str) -> Finding:
        first = next(iter(self.jobs.values()))[0]
        return Finding(Severity.ERROR, IMPORT_RULE, first.template, message)


def start_handler_checks(functions: Sequence[FunctionSource], project_root: Path,
                         region: str) -> HandlerCheck:  # fmt: skip
    check = HandlerCheck([], {}, project_root)
    if not functions:
        return check
    check.scratch = tempfile.TemporaryDirectory(prefix="disa-validate-")
    scratch = Path(check.scratch.name)
    compiled: set[str] = set()
    for index, function in enumerate(functions):
        root = scratch / f"task{index}"
        _unpack(function, root)
        broken = _compile_all(function, root, project_root, compiled, check.findings)
        module, attr = _entry(function, root, check.findings)
        check.checked.append(function.logical_id)
        if not broken and module is not None and attr is not None:
            check.jobs[function.logical_id] = (function, root)
    if check.jobs:
        check.process = _start_probe(check.jobs, scratch, region)
    return check


def _unpack(function: FunctionSource, root: Path) -> None:
    body = build_zip(function.code_dir, function.code_dir.parent / COMMON_PACKAGE)
    root.mkdir(parents=True)
    archive = root.with_suffix(".zip")
    archive.write_bytes(body)
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(root)


def _compile_all(function: FunctionSource, root: Path, project_root: Path, done: set[str],
                 findings: list[Finding]) -> bool:  # fmt: skip
    """Compile every module of the unpacked zip; True when any of them does not compile."""
    broken = False
    for path in sorted(root.rglob("*.py")):
        source = function.code_dir.parent / path.relative_to(root)
        name = display_name(source, project_root)
        try:
            compile(path.read_bytes(), name, "exec", dont_inherit=True)
        except SyntaxError as err:
            broken = True
            if name not in done:
                findings.append(Finding(Severity.ERROR, COMPILE_RULE, name,
                                        f"{type(err).__name__}: {err.msg}", err.lineno,
                                        err.offset))  # fmt: skip
        except ValueError as err:  # e.g. null bytes in the source
            broken = True
            if name not in done:
                findings.append(Finding(Severity.ERROR, COMPILE_RULE, name, str(err)))
        done.add(name)
    return broken


def _entry(function: FunctionSource, root: Path,
           findings: list[Finding]) -> tuple[str | None, str | None]:  # fmt: skip
    """(module, function) named by the Handler property, if the module is in the zip."""
    handler = function.handler or ""
    module, dot, attr = handler.rpartition(".")
    problem = None
    if not dot or not module or not attr:
        problem = f"Handler {handler!r} is not module.function (e.g. pkg.handler.lambda_handler)"
    else:
        base = root / module.replace(".", "/")
        if not (base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()):
            problem = (f"Handler {handler!r}: module {module} is not in the function's zip "
                       f"(built from {function.code_dir.name}/ and {COMMON_PACKAGE}/)")  # fmt: skip
    if problem:
        findings.append(Finding(Severity.ERROR, HANDLER_RULE, function.template,
                                f"{function.logical_id}: {problem}", function.line,
                                function.column))  # fmt: skip
        return None, None
    return module, attr


def _start_probe(jobs: dict[str, tuple[FunctionSource, Path]], scratch: Path,
                 region: str) -> subprocess.Popen[str]:  # fmt: skip
    runtime = scratch / "runtime"
    runtime.mkdir()
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source, target_is_directory=source.is_dir())
    functions = []
    for logical_id, (function, root) in jobs.items():
        module, _, attr = (function.handler or "").rpartition(".")
        functions.append({"id": logical_id, "root": str(root), "module": module, "attr": attr,
                          "handler": function.handler or ""})  # fmt: skip
    spec_path = scratch / "probe.json"
    spec_path.write_text(json.dumps({"runtime": str(runtime), "functions": functions}))
    return subprocess.Popen(
        [sys.executable, "-I", "-S", "-B", str(PROBE), str(spec_path)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=scratch, env=_lambda_like_environment(region, scratch),
    )  # fmt: skip


def _lambda_like_environment(region: str, scratch: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "validate-only",
        "AWS_SECRET_ACCESS_KEY": "validate-only",
        "AWS_ENDPOINT_URL": CLOSED_ENDPOINT,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
    }
