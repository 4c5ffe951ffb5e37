"""``package``: check the tree, guard the account, ensure the store, then upload what is
not there yet.

The check comes first, before any AWS call (:func:`deployer.usecases.validate.
require_valid_tree`): every path to an upload or a change set (``package``, ``plan``,
``up``, a benchmark or test driving :func:`package` directly) goes through here, so none can
skip it. A tree that passed before and has not changed since costs a look-up, not a lint.

Plan, then execute: :func:`deployer.artifacts.packager.package_template` works out every artifact
(pure); this module has the bucket ensure each key (HeadObject, comparing S3's SHA-256 of the
stored object with the content's) and put only the missing or mismatched ones, children
before parents. Afterwards ``<root>/.disa/<env>/`` holds the packaged root template, the
function zips by name (``disa_process.zip`` …) and ``manifest.json``, which lists every
artifact with ``uploaded`` true or false. Progress names each upload on its own line; the
artifacts already present are only counted, so a warm run says one line, not one per file.

The packaged root template goes to CloudFormation inline when it fits (51,200 bytes) and as
an uploaded, content-addressed object otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from deployer.artifacts.packager import (
    Artifact,
    ArtifactKind,
    PackagedTemplate,
    artifact_key,
    package_template,
)
from deployer.gateways.cloudformation import TemplateSource
from deployer.gateways.s3 import ArtifactBucket, Stored, Upload
from deployer.runtime import Runtime
from deployer.usecases.store import Store, check_account, ensure_store, verify_store
from deployer.usecases.validate import require_valid_tree

TEMPLATE_BODY_LIMIT = 51_200
CONTENT_TYPES = {
    ArtifactKind.ZIP: "application/zip",
    ArtifactKind.DEFINITION: "application/json",
    ArtifactKind.TEMPLATE: "application/x-yaml",
}


@dataclass(frozen=True)
class Stage:
    """The packaged tree, built locally (no uploads yet), and where it goes."""

    store: Store
    bucket: ArtifactBucket
    packaged: PackagedTemplate
    artifacts: tuple[Artifact, ...]  # children first; the root too when it goes by URL
    template: TemplateSource
    nested: Mapping[str, str]  # nested template URL -> its text (what the root points at)


@dataclass
class PackageResult:
    store: Store
    template: TemplateSource
    body: str
    artifacts: tuple[Artifact, ...] = ()
    nested: Mapping[str, str] = field(default_factory=dict)  # template URL -> text
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bytes_uploaded: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "uploaded": len(self.uploaded),
            "skipped": len(self.skipped),
            "bytes_uploaded": self.bytes_uploaded,
        }


def template_url(bucket: str, key: str, region: str, endpoint: str | None) -> str:
    """Where CloudFormation reads a nested template: virtual-hosted on AWS, path style else."""
    if endpoint:
        return f"{endpoint.rstrip('/')}/{bucket}/{key}"
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


def package(rt: Runtime) -> PackageResult:
    """Check, build, and upload what is missing (the ``package`` command, and ``up``'s)."""
    return upload(rt, stage(rt))


def stage(rt: Runtime, create_store: bool = True) -> Stage:
    """The gate, the account guard, the store (created on first use unless
    ``create_store`` is false), and the packaged tree; nothing is uploaded."""
    require_valid_tree(rt)
    check_account(rt)
    store = ensure_store(rt, create=create_store)
    bucket = rt.bucket_for(store.bucket, store.key_arn)
    verify_store(rt, bucket)

    def url_for(key: str) -> str:
        return template_url(store.bucket, key, rt.config.region, rt.endpoint_url)

    root = rt.project.require(rt.project.root_template)
    packaged = package_template(root, rt.project.root, url_for)
    artifacts = list(packaged.artifacts)
    source = TemplateSource(body=packaged.body)
    if len(packaged.body.encode("utf-8")) > TEMPLATE_BODY_LIMIT:
        body = packaged.body.encode("utf-8")
        artifacts.append(Artifact(artifact_key(body, "yaml"), ArtifactKind.TEMPLATE, root.name,
                                  "cft/" + root.name, body))  # fmt: skip
        source = TemplateSource(url=url_for(artifacts[-1].key))
    nested = {url_for(a.key): a.body.decode("utf-8") for a in packaged.artifacts
              if a.kind is ArtifactKind.TEMPLATE}  # fmt: skip
    return Stage(store, bucket, packaged, tuple(artifacts), source, nested)


def upload(rt: Runtime, staged: Stage) -> PackageResult:
    result = _result(staged)
    for artifact in staged.artifacts:
        _upload(rt, staged.bucket, artifact, result)
    _write_state(rt, staged.packaged, result)
    rt.progress.line(
        f"package: {len(result.uploaded)} uploaded ({result.bytes_uploaded} bytes), "
        f"{len(result.skipped)} already present, bucket {staged.store.bucket}"
    )
    return result


def verify(rt: Runtime, staged: Stage) -> tuple[list[str], PackageResult]:
    """Check, uploading nothing, that the bucket holds every artifact exactly (S3's SHA-256);
    returns the names of those it does not hold, or holds with other content."""
    result = _result(staged)
    wrong = []
    for artifact in staged.artifacts:
        if staged.bucket.stored(artifact.key, artifact.body) is Stored.VERIFIED:
            result.skipped.append(artifact.key)
        else:
            wrong.append(f"{artifact.name} ({artifact.key})")
    rt.progress.line(f"package: {len(result.skipped)} artifacts verified in the bucket, "
                     f"{len(wrong)} not as planned, bucket {staged.store.bucket}")  # fmt: skip
    return wrong, result


def _result(staged: Stage) -> PackageResult:
    return PackageResult(staged.store, staged.template, staged.packaged.body,
                         staged.artifacts, staged.nested)  # fmt: skip


def _upload(rt: Runtime, bucket: ArtifactBucket, artifact: Artifact, result: PackageResult) -> None:
    done = bucket.ensure(artifact.key, artifact.body, CONTENT_TYPES[artifact.kind])
    if done is Upload.SKIPPED:
        result.skipped.append(artifact.key)
        return
    result.uploaded.append(artifact.key)
    result.bytes_uploaded += len(artifact.body)
    if done is Upload.REPLACED:
        rt.progress.line(f"  replaced {artifact.key}: the stored object's SHA-256 did not match "
                       f"its content ({artifact.name})")  # fmt: skip
        return
    rt.progress.line(f"  uploaded {artifact.name} -> {artifact.key} ({len(artifact.body)} bytes)")


def _write_state(rt: Runtime, packaged: PackagedTemplate, result: PackageResult) -> None:
    state = rt.project.state_dir(rt.config.name)
    (state / "build").mkdir(parents=True, exist_ok=True)
    (state / "packaged-root-stack.yaml").write_text(packaged.body, encoding="utf-8")
    for artifact in packaged.artifacts:
        if artifact.kind is ArtifactKind.ZIP:
            (state / "build" / artifact.name).write_bytes(artifact.body)
    manifest = {
        "env": rt.config.name,
        "bucket": result.store.bucket,
        "kms_key_arn": result.store.key_arn,
        "root_template": "packaged-root-stack.yaml",
        "root_template_url": result.template.url,
        "artifacts": [
            {
                "name": a.name,
                "kind": a.kind.value,
                "source": a.source,
                "key": a.key,
                "sha256": a.sha256,
                "bytes": len(a.body),
                "uploaded": a.key in result.uploaded,
            }
            for a in packaged.artifacts
        ],
    }
    (state / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
