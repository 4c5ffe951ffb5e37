"""The env's values as the templates will receive them, checked against their declarations.

The root stack gets ``Project`` and ``Env`` (the env file's ``project`` and the env's name),
``KmsKeyArn`` and ``ArtifactBucket`` (from the artifact store, known only at deploy time) and
the env's ``parameters``. Each value is checked against the root template's declaration of
it, then followed into every nested stack (a ``!Ref`` passes it on, a literal is checked
where it is written, a template's ``Default`` fills the rest), and checked against the
child's declaration too; ``Project``/``Env`` are also checked against the artifact store and
deployer role templates. So the names and limits live in the templates only.

Every value that ends up as an EventBridge rule's ``ScheduleExpression`` is parsed
(:mod:`deployer.config.schedule`). A finding points at the place the value was written: the
env file's line, the ``--parameter`` flag, or the template line of a literal or default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployer.artifacts.tree import Tree, display_name
from deployer.config.constraints import ParameterSpec, declared_parameters, problems
from deployer.config.environment import EnvConfig, Origin
from deployer.config.schedule import schedule_problem
from deployer.findings import COMMAND_LINE, Finding, Severity

PARAM_RULE = "DISA-PARAM"
SCHEDULE_RULE = "DISA-SCHEDULE"
SET_BY_TOOL = {
    "Project": "the env file's `project` key",
    "Env": "the env's name",
    "KmsKeyArn": "the artifact store",
    "ArtifactBucket": "the artifact store",
}
SCHEDULED = {"AWS::Events::Rule": "ScheduleExpression"}


@dataclass(frozen=True)
class Value:
    text: str
    origin: Origin
    subject: str  # how a finding names it: "env name 'dev'", "parameters.MaxAttempts '0'"


def check_values(config: EnvConfig, tree: Tree, project_root: Path) -> list[Finding]:
    checker = _Checker(config, tree, project_root)
    return checker.run()


class _Checker:
    def __init__(self, config: EnvConfig, tree: Tree, project_root: Path) -> None:
        self.config, self.tree, self.root_dir = config, tree, project_root
        self.findings: list[Finding] = []
        # (origin, subject, problem) -> where each violated declaration is
        self.violations: dict[tuple[Origin, str, str], list[str]] = defaultdict(list)
        self.values: dict[str, dict[str, Value]] = {}

    def run(self) -> list[Finding]:
        root = self.tree.root
        decoded = self.tree.templates.get(root) if root else None
        if decoded is None or decoded.template is None:
            return []  # the tree reader has said why
        given = self._given()
        specs = declared_parameters(decoded.template, decoded.name)
        self._unknown_and_missing(given, specs)
        self._flow(decoded.name, {k: v for k, v in given.items() if k in specs})
        for name in self.tree.templates:
            if name != root and not any(n.child == name for n in self.tree.nested):
                names = {k: v for k, v in given.items() if k in ("Project", "Env")}
                self._flow(name, names)  # deployed on their own: the tool passes the names
        self._schedules()
        return self.findings + [self._violation(*key, places) for key, places
                                in self.violations.items()]  # fmt: skip

    def _given(self) -> dict[str, Value]:
        origins = self.config.origins
        env_origin = origins.get("env") or Origin(COMMAND_LINE, "--env")
        given = {
            "Env": Value(self.config.name, env_origin, f"env name {self.config.name!r}"),
            "Project": Value(
                self.config.project,
                origins.get("project", env_origin),
                f"project {self.config.project!r}",
            ),  # fmt: skip
        }
        for key, text in self.config.parameters.items():
            origin = origins.get(f"parameters.{key}") or Origin(str(self.config.source), key)
            given[key] = Value(text, origin, f"{origin.key} {text!r}")
        return given

    def _unknown_and_missing(self, given: Mapping[str, Value],
                             specs: Mapping[str, ParameterSpec]) -> None:  # fmt: skip
        for key in self.config.parameters:
            origin = given[key].origin
            if key in SET_BY_TOOL:
                self._add(
                    origin,
                    f"{origin.key}: {key} is set by disa-deploy from "
                    f"{SET_BY_TOOL[key]}; remove it from the env's parameters",
                )
            elif key not in specs:
                known = ", ".join(k for k in specs if k not in SET_BY_TOOL)
                self._add(origin, f"{origin.key}: the root template declares no parameter "
                                  f"{key} (known: {known})")  # fmt: skip
        for key, spec in specs.items():
            if spec.default is None and key not in given and key not in SET_BY_TOOL:
                self.findings.append(Finding(Severity.ERROR, PARAM_RULE, spec.file,
                    f"parameter {key} has no Default and env {self.config.name} does not set it "
                    f"(add parameters.{key} to {self._file(str(self.config.source))})",
                    spec.line))  # fmt: skip

    def _flow(self, name: str, passed: Mapping[str, Value]) -> None:
        decoded = self.tree.templates[name]
        specs = declared_parameters(decoded.template or {}, name)
        values: dict[str, Value] = {}
        for key, spec in specs.items():
            if key in passed:
                values[key] = passed[key]
                for problem in problems(spec, passed[key].text):
                    where = f"parameter {key} of {spec.where}"
                    self.violations[(passed[key].origin, passed[key].subject, problem)].append(
                        where
                    )
            elif spec.default is not None:
                origin = Origin(str(decoded.path), f"Parameters.{key}.Default", spec.line)
                values[key] = Value(spec.default, origin, f"default of {key} {spec.default!r}")
        self.values[name] = values
        for nested in (n for n in self.tree.nested if n.parent == name):
            self._flow(nested.child, self._passed(decoded.path, nested.parameters, values))

    def _passed(self, parent: Path, parameters: Mapping[str, Any],
                values: Mapping[str, Value]) -> dict[str, Value]:  # fmt: skip
        passed: dict[str, Value] = {}
        for key, node in parameters.items():
            if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in values:
                passed[str(key)] = values[node["Ref"]]
            elif isinstance(node, str | int | float | bool):
                line, column = _position(node)
                origin = Origin(str(parent), f"Parameters.{key}", line, column)
                passed[str(key)] = Value(str(node), origin, f"{key} {str(node)!r}")
        return passed

    def _schedules(self) -> None:
        for name, decoded in self.tree.templates.items():
            resources = (decoded.template or {}).get("Resources")
            for logical_id, resource in (resources or {}).items():
                prop = (
                    SCHEDULED.get(str(resource.get("Type"))) if isinstance(resource, dict) else None
                )
                props = resource.get("Properties") if prop else None
                if isinstance(props, dict) and prop in props:
                    self._schedule(name, decoded.path, str(logical_id), props[prop])

    def _schedule(self, name: str, path: Path, logical_id: str, node: Any) -> None:
        value: Value | None = None
        if isinstance(node, dict) and set(node) == {"Ref"}:
            value = self.values.get(name, {}).get(str(node["Ref"]))
        elif isinstance(node, str):
            line, column = _position(node)
            value = Value(node, Origin(str(path), "ScheduleExpression", line, column), repr(node))
        problem = schedule_problem(value.text) if value is not None else None
        if value is not None and problem:
            self._add(value.origin, f"{value.subject} is not a schedule EventBridge accepts: "
                                    f"{problem} (ScheduleExpression of {logical_id} in {name})",
                      SCHEDULE_RULE)  # fmt: skip

    def _violation(self, origin: Origin, subject: str, problem: str, places: list[str]) -> Finding:
        others = len(places) - 1
        where = places[0] + (f" and {others} other template{'s' * (others > 1)}" if others else "")
        message = f"{subject} {problem} ({where})"
        return self._finding(origin, message, PARAM_RULE)

    def _add(self, origin: Origin, message: str, rule: str = PARAM_RULE) -> None:
        self.findings.append(self._finding(origin, message, rule))

    def _finding(self, origin: Origin, message: str, rule: str) -> Finding:
        if origin.file == COMMAND_LINE and not message.startswith(origin.key):
            message = f"{origin.key}: {message}"
        file = self._file(origin.file)
        return Finding(Severity.ERROR, rule, file, message, origin.line, origin.column)

    def _file(self, file: str) -> str:
        return file if file == COMMAND_LINE else display_name(Path(file), self.root_dir)


def _position(node: Any) -> tuple[int | None, int | None]:
    mark = getattr(node, "start_mark", None)
    return (int(mark.line) + 1, int(mark.column) + 1) if mark is not None else (None, None)
