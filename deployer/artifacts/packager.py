"""The local stage of ``package``: zip, hash and rewrite templates. No AWS calls.

One table (:data:`ARTIFACT_PROPERTIES`) says which property of which resource type may hold
a local path: a nested stack's ``TemplateURL``, a function's ``Code.S3Key`` (a directory:
zipped) and a state machine's ``DefinitionS3Location.Key`` (a file: uploaded as is). Paths
are relative to the template that names them, as the templates are written for cfn-lint.

Templates are rewritten children first: a nested template's body is rewritten to its own
children's content-addressed locations before it is hashed, so a parent's key (and the root
template text) changes exactly when something beneath it changed. That is what makes the
``up`` no-op check a plain comparison of root template text.

Keys are ``artifacts/<sha256>.<zip|json|yaml>``: the same bytes always land on the same key,
so an object already in the bucket never needs uploading again.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.artifacts.zips import build_zip
from deployer.cfn.template import dump_template, load_template
from deployer.errors import ConfigError

KEY_PREFIX = "artifacts/"
COMMON_PACKAGE = "disa_common"
REMOTE_PREFIXES = ("s3://", "http://", "https://")

# resource type -> property path holding a local path (SAM's RESOURCES_WITH_LOCAL_PATHS).
ARTIFACT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::CloudFormation::Stack": ("TemplateURL",),
    "AWS::Lambda::Function": ("Code", "S3Key"),
    "AWS::StepFunctions::StateMachine": ("DefinitionS3Location", "Key"),
}


class ArtifactKind(enum.Enum):
    ZIP = "zip"
    DEFINITION = "definition"
    TEMPLATE = "template"


@dataclass(frozen=True)
class Artifact:
    key: str
    kind: ArtifactKind
    name: str  # e.g. disa_process.zip, iam-role-stack.yaml
    source: str  # path relative to the project root
    body: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return self.key.removeprefix(KEY_PREFIX).split(".")[0]


@dataclass(frozen=True)
class PackagedTemplate:
    body: str  # the rewritten root template
    artifacts: tuple[Artifact, ...]  # children before parents, one per key


UrlFor = Callable[[str], str]


def artifact_key(body: bytes, extension: str) -> str:
    return f"{KEY_PREFIX}{hashlib.sha256(body).hexdigest()}.{extension}"


def is_local_path(value: object) -> bool:
    return isinstance(value, str) and bool(value) and not value.startswith(REMOTE_PREFIXES)


def package_template(root_template: Path, project_root: Path, url_for: UrlFor) -> PackagedTemplate:
    """Rewrite ``root_template`` and everything beneath it to content-addressed keys."""
    packer = _Packer(project_root, url_for)
    body = packer.template_body(root_template.resolve(), ())
    return PackagedTemplate(body, tuple(packer.artifacts.values()))


class _Packer:
    def __init__(self, project_root: Path, url_for: UrlFor) -> None:
        self.project_root = project_root.resolve()
        self.url_for = url_for
        self.artifacts: dict[str, Artifact] = {}
        self.by_source: dict[Path, Artifact] = {}

    def template_body(self, path: Path, parents: tuple[Path, ...]) -> str:
        if path in parents:
            raise ConfigError(f"{self._rel(path)}: nested stacks form a cycle")
        template = load_template(path.read_text(encoding="utf-8"))
        resources = template.get("Resources") or {}
        for logical_id, resource in resources.items():
            if isinstance(resource, dict):
                self._rewrite_resource(path, parents, logical_id, resource)
        return dump_template(template)

    def _rewrite_resource(
        self, path: Path, parents: tuple[Path, ...], logical_id: str, resource: dict[str, Any]
    ) -> None:
        prop_path = ARTIFACT_PROPERTIES.get(str(resource.get("Type")))
        holder: Any = resource.get("Properties")
        for name in (prop_path or ())[:-1]:
            holder = holder.get(name) if isinstance(holder, dict) else None
        if prop_path is None or not isinstance(holder, dict):
            return
        value = holder.get(prop_path[-1])
        if not is_local_path(value):
            return
        where = f"{self._rel(path)}: Resources.{logical_id}.Properties.{'.'.join(prop_path)}"
        target = (path.parent / str(value)).resolve()
        if not target.exists():
            raise ConfigError(f"{where}: {value} does not exist")
        artifact = self._artifact(target, resource["Type"], parents + (path,), where)
        is_stack = resource["Type"] == "AWS::CloudFormation::Stack"
        holder[prop_path[-1]] = self.url_for(artifact.key) if is_stack else artifact.key

    def _artifact(
        self, target: Path, rtype: str, parents: tuple[Path, ...], where: str
    ) -> Artifact:
        if target in self.by_source:
            return self.by_source[target]
        if rtype == "AWS::Lambda::Function":
            if not target.is_dir():
                raise ConfigError(f"{where}: expected a function package directory")
            body = build_zip(target, target.parent / COMMON_PACKAGE)
            artifact = self._add(body, "zip", ArtifactKind.ZIP, f"{target.name}.zip", target)
        elif rtype == "AWS::CloudFormation::Stack":
            text = self.template_body(target, parents).encode("utf-8")
            artifact = self._add(text, "yaml", ArtifactKind.TEMPLATE, target.name, target)
        else:
            ext = "json" if target.suffix == ".json" else "yaml"
            body = target.read_bytes()
            artifact = self._add(body, ext, ArtifactKind.DEFINITION, target.name, target)
        self.by_source[target] = artifact
        return artifact

    def _add(self, body: bytes, ext: str, kind: ArtifactKind, name: str, src: Path) -> Artifact:
        key = artifact_key(body, ext)
        artifact = self.artifacts.setdefault(key, Artifact(key, kind, name, self._rel(src), body))
        return artifact

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.project_root).as_posix()
        except ValueError:
            return str(path)
