"""``validate`` and the gate: everything that can be known about a deploy without AWS.

One check, two callers. ``disa-deploy validate`` runs it and lists every finding. ``package``
(and so ``plan`` and ``up``, which package first) runs it before its first AWS call through
:func:`require_valid_tree`, so no caller can skip it: a tree with an error never creates an
artifact store, uploads an object or makes a change set. What it checks, in order:

1. the tree (:mod:`deployer.artifacts.tree`): every template, nested template, ASL file and
   function folder the packager would ship exists, and every template parses;
2. the env's values (:mod:`deployer.artifacts.values`) against the templates' declarations,
   the env and project names included, and every schedule expression;
3. cfn-lint over every template, the ASL inlined (:mod:`deployer.cfn.lint`);
4. every function's zip compiles and its handler imports in a Lambda-like interpreter
   (:mod:`deployer.artifacts.handlers`), which runs in a subprocess while 2 and 3 run here.

The result is kept under ``.disa/<env>/validate.json`` (and in memory), keyed by this
tool's code, cfn-lint's, its serverless rules', boto3's and Python's versions, the env's
values, and the digest of every file the check read; the gate reuses it while all of those
are unchanged, so an ``up`` of an unchanged tree pays for hashing a few files, not for
linting (and a tree with errors is refused again at the same price).
``validate`` itself always checks afresh.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import deployer
from deployer.artifacts.handlers import start_handler_checks
from deployer.artifacts.tree import digest, read_tree
from deployer.artifacts.values import check_values
from deployer.cfn.lint import lint
from deployer.config.environment import EnvConfig
from deployer.config.project import Project
from deployer.findings import Finding, InvalidTreeError, Severity, sort_findings
from deployer.runtime import Runtime

CACHE_FILE = "validate.json"
Clock = Callable[[], float]


@dataclass(frozen=True)
class ValidationReport:
    findings: tuple[Finding, ...]
    templates: tuple[str, ...]
    functions: tuple[str, ...]
    seconds: float
    reused: bool = False  # True: an unchanged tree's earlier result

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    def counts(self) -> dict[str, int]:
        return {
            "errors": self.errors,
            "warnings": self.count(Severity.WARNING),
            "templates": len(self.templates),
            "functions": len(self.functions),
        }


def validate(
    project: Project, config: EnvConfig, clock: Clock = time.monotonic
) -> ValidationReport:
    """Check everything afresh (no reuse) and remember the result for the gate."""
    started = clock()
    tree = read_tree(project)
    handlers = start_handler_checks(tree.functions, project.root, config.region)
    try:
        findings = [*tree.findings, *check_values(config, tree, project.root)]
        findings += lint(list(tree.templates.values()), config.region)
    finally:
        findings_of_handlers = handlers.collect()
    report = ValidationReport(
        tuple(sort_findings([*findings, *findings_of_handlers])),
        tuple(tree.templates),
        tuple(handlers.checked),
        round(clock() - started, 3),
    )
    _remember(project, config, tree.digests, report)
    return report


def check_tree(
    project: Project, config: EnvConfig, clock: Clock = time.monotonic
) -> ValidationReport:
    """The gate's check: an unchanged tree's earlier result, else :func:`validate`."""
    started = clock()
    reused = _recall(project, config)
    if reused is not None:
        seconds = round(clock() - started, 3)
        return ValidationReport(reused.findings, reused.templates, reused.functions, seconds, True)
    return validate(project, config, clock)


def require_valid_tree(rt: Runtime) -> ValidationReport:
    """The gate ``package`` opens with: raises :class:`InvalidTreeError` on any error."""
    report = check_tree(rt.project, rt.config, rt.clock)
    if report.errors:
        raise InvalidTreeError(report.findings)
    return report


# --- reuse -----------------------------------------------------------------------------------

_MEMORY: dict[str, tuple[dict[str, str], ValidationReport]] = {}


def _inputs_key(config: EnvConfig) -> str:
    inputs = {
        "tool": _tool_fingerprint(),
        "versions": [
            sys.version,
            _version("cfn-lint"),
            _version("cfn-lint-serverless"),
            _version("boto3"),
        ],
        "region": config.region,
        "env": config.name,
        "project": config.project,
        "parameters": sorted(config.parameters.items()),
        "origins": sorted((k, o.file, o.line, o.column) for k, o in config.origins.items()),
    }
    return hashlib.sha256(json.dumps(inputs, default=str).encode()).hexdigest()


def _recall(project: Project, config: EnvConfig) -> ValidationReport | None:
    key = _inputs_key(config)
    entry = _MEMORY.get(key) or _read_cache(project.state_dir(config.name) / CACHE_FILE, key)
    if entry is None:
        return None
    digests, report = entry
    for name, expected in digests.items():
        path = Path(name) if Path(name).is_absolute() else project.root / name
        if digest(path) != expected:
            return None
    _MEMORY[key] = entry
    return report


def _remember(project: Project, config: EnvConfig, digests: dict[str, str],
              report: ValidationReport) -> None:  # fmt: skip
    key = _inputs_key(config)
    _MEMORY[key] = (dict(digests), report)
    entry = {"key": key, "digests": digests, "templates": list(report.templates),
             "functions": list(report.functions),
             "findings": [f.as_dict() for f in report.findings]}  # fmt: skip
    path = project.state_dir(config.name) / CACHE_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(entry, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, path)
    except OSError:  # a read-only checkout still validates, it only cannot remember
        pass


def _read_cache(path: Path, key: str) -> tuple[dict[str, str], ValidationReport] | None:
    try:
        entry: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("key") != key:
            return None
        findings = tuple(Finding.from_dict(f) for f in entry["findings"])
        report = ValidationReport(findings, tuple(entry["templates"]),
                                  tuple(entry["functions"]), 0.0)  # fmt: skip
        digests = {str(k): str(v) for k, v in entry["digests"].items()}
    except (OSError, ValueError, KeyError, TypeError):  # absent or damaged: check afresh
        return None
    return digests, report


@functools.cache
def _tool_fingerprint() -> str:
    package = Path(deployer.__file__).parent
    sha = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        sha.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    return sha.hexdigest()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"
