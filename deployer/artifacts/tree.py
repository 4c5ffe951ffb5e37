"""The tree ``package`` would ship, read for checking: templates, ASL files, function code.

Starts where the packager starts, the root template, and follows the same table of local
paths (:data:`deployer.artifacts.packager.ARTIFACT_PROPERTIES`): nested templates through
``TemplateURL``, state machine definitions through ``DefinitionS3Location.Key`` (inlined for
cfn-lint), function packages through ``Code.S3Key``. The artifact store and deployer role
templates, deployed on their own, are read too. Every file read is recorded with its digest,
so a later run can tell whether anything it checked has changed (:attr:`Tree.digests`).

A path that leads nowhere, or nested stacks that form a cycle, is a finding at the property
that names it, not an exception: the reader carries on and reports everything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.artifacts.packager import ARTIFACT_PROPERTIES, COMMON_PACKAGE, is_local_path
from deployer.artifacts.zips import iter_sources
from deployer.cfn.lint import Decoded, decode_template, inline_definition
from deployer.config.project import Project
from deployer.findings import Finding, Severity

TREE_RULE = "DISA-TREE"
STACK = "AWS::CloudFormation::Stack"
FUNCTION = "AWS::Lambda::Function"
STATE_MACHINE = "AWS::StepFunctions::StateMachine"
ABSENT = "absent"
Where = tuple[str, int | None, int | None]  # file, line, column of a finding


@dataclass(frozen=True)
class FunctionSource:
    logical_id: str
    template: str
    code_dir: Path
    handler: str | None
    runtime: str | None
    line: int | None  # of the Handler property
    column: int | None


@dataclass(frozen=True)
class NestedStack:
    parent: str
    logical_id: str
    child: str
    parameters: dict[str, Any]  # as decoded: literals, {"Ref": ...}, other intrinsics


@dataclass
class Tree:
    root: str | None = None
    templates: dict[str, Decoded] = field(default_factory=dict)
    nested: list[NestedStack] = field(default_factory=list)
    functions: list[FunctionSource] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # display name -> sha256 or "absent"
    findings: list[Finding] = field(default_factory=list)


def display_name(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def digest(path: Path) -> str:
    """sha256 of a file, of a directory's packaged files (names and bytes), or "absent"."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if not path.is_dir():
        return ABSENT
    sha = hashlib.sha256()
    for name, source in sorted(iter_sources(path, path.name)):
        sha.update(name.encode() + b"\0" + hashlib.sha256(source.read_bytes()).digest())
    return sha.hexdigest()


def read_tree(project: Project) -> Tree:
    reader = _Reader(project.root)
    tree = reader.tree
    tree.root = reader.template(project.root_template, ())
    for standalone in (project.artifact_store_template, project.deployer_role_template):
        if standalone.is_file():
            reader.template(standalone, ())
        else:
            tree.digests[display_name(standalone, project.root)] = ABSENT
    return tree


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tree = Tree()

    def name(self, path: Path) -> str:
        return display_name(path, self.root)

    def template(self, path: Path, parents: tuple[str, ...]) -> str | None:
        name = self.name(path)
        if name in self.tree.templates:
            return name
        if not path.is_file():
            self.tree.digests[name] = ABSENT
            self._add((name, None, None), f"{name} does not exist")
            return None
        data = path.read_bytes()
        self.tree.digests[name] = hashlib.sha256(data).hexdigest()
        decoded = decode_template(name, path, data.decode("utf-8", errors="replace"))
        self.tree.templates[name] = decoded
        self.tree.findings.extend(decoded.findings)
        for logical_id, resource in _resources(decoded.template):
            self._resource(decoded, logical_id, resource, (*parents, name))
        return name

    def _resource(self, decoded: Decoded, logical_id: str, resource: dict[str, Any],
                  parents: tuple[str, ...]) -> None:  # fmt: skip
        kind = resource.get("Type")
        local = _local_path(resource, ARTIFACT_PROPERTIES.get(str(kind)))
        if local is None:
            return
        target = (decoded.path.parent / str(local)).resolve()
        where: Where = (decoded.name, *_position(local))
        if kind == STACK:
            self._nested(decoded, logical_id, resource, target, parents, where)
        elif kind == FUNCTION:
            self._function(decoded, logical_id, resource, target, where)
        elif kind == STATE_MACHINE:
            self._definition(decoded, logical_id, target, where)

    def _nested(self, decoded: Decoded, logical_id: str, resource: dict[str, Any], target: Path,
                parents: tuple[str, ...], where: Where) -> None:  # fmt: skip
        child_name = self.name(target)
        if child_name in parents:
            self._add(where, f"{logical_id}: nested stacks form a cycle through {child_name}")
            return
        if not target.is_file():
            self.tree.digests[child_name] = ABSENT
            self._add(where, f"{logical_id}: TemplateURL {child_name} does not exist")
            return
        child = self.template(target, parents)
        params = resource["Properties"].get("Parameters")
        if child is not None:
            values = dict(params) if isinstance(params, dict) else {}
            self.tree.nested.append(NestedStack(decoded.name, logical_id, child, values))

    def _function(self, decoded: Decoded, logical_id: str, resource: dict[str, Any],
                  target: Path, where: Where) -> None:  # fmt: skip
        name = self.name(target)
        self.tree.digests[name] = digest(target)
        if not target.is_dir():
            self._add(where, f"{logical_id}: Code.S3Key {name} is not a function package folder")
            return
        common = target.parent / COMMON_PACKAGE
        self.tree.digests[self.name(common)] = digest(common)
        props = resource["Properties"]
        handler = props.get("Handler")
        line, column = _position(handler)
        runtime = props.get("Runtime")
        self.tree.functions.append(FunctionSource(
            logical_id, decoded.name, target, handler if isinstance(handler, str) else None,
            runtime if isinstance(runtime, str) else None, line, column))  # fmt: skip

    def _definition(self, decoded: Decoded, logical_id: str, target: Path,
                    where: Where) -> None:  # fmt: skip
        name = self.name(target)
        if not target.is_file():
            self.tree.digests[name] = ABSENT
            self._add(where, f"{logical_id}: DefinitionS3Location.Key {name} does not exist")
            return
        data = target.read_bytes()
        self.tree.digests[name] = hashlib.sha256(data).hexdigest()
        text = data.decode("utf-8", errors="replace")
        self.tree.findings.extend(inline_definition(decoded, logical_id, name, text))

    def _add(self, where: Where, message: str) -> None:
        file, line, column = where
        self.tree.findings.append(Finding(Severity.ERROR, TREE_RULE, file, message, line, column))


def _resources(template: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    resources = template.get("Resources") if template else None
    if not isinstance(resources, dict):
        return []
    return [(str(k), v) for k, v in resources.items() if isinstance(v, dict)]


def _local_path(resource: dict[str, Any], prop_path: tuple[str, ...] | None) -> Any:
    holder: Any = resource.get("Properties")
    for key in prop_path or ():
        holder = holder.get(key) if isinstance(holder, dict) else None
    return holder if prop_path and is_local_path(holder) else None


def _position(node: Any) -> tuple[int | None, int | None]:
    mark = getattr(node, "start_mark", None)
    if mark is None:
        return None, None
    return int(mark.line) + 1, int(mark.column) + 1
