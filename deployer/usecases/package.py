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
from dataclasses import dataclass, field
from typing import Any

from deployer.artifacts.packager import (
    Artifact,
    ArtifactKind,
    PackagedTemplate,
    artifact_key,
    package_template,
)
from deployer.gateways.cloudformation import TemplateSource
from deployer.gateways.s3 import Upload
from deployer.runtime import Runtime
from deployer.usecases.store import Store, check_account, ensure_store, verify_store
from deployer.usecases.validate import require_valid_tree

TEMPLATE_BODY_LIMIT = 51_200
CONTENT_TYPES = {
    ArtifactKind.ZIP: "application/zip",
    ArtifactKind.DEFINITION: "application/json",
    ArtifactKind.TEMPLATE: "application/x-yaml",
}


@dataclass
class PackageResult:
    store: Store
    template: TemplateSource
    body: str
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
    require_valid_tree(rt)
    check_account(rt)
    store = ensure_store(rt)
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
    result = PackageResult(store, source, packaged.body)
    for artifact in artifacts:
        _upload(rt, bucket, artifact, result)
    _write_state(rt, packaged, result)
    rt.ui.progress(
        f"package: {len(result.uploaded)} uploaded ({result.bytes_uploaded} bytes), "
        f"{len(result.skipped)} already present, bucket {store.bucket}"
    )
    return result


def _upload(rt: Runtime, bucket: Any, artifact: Artifact, result: PackageResult) -> None:
    done = bucket.ensure(artifact.key, artifact.body, CONTENT_TYPES[artifact.kind])
    if done is Upload.SKIPPED:
        result.skipped.append(artifact.key)
        return
    result.uploaded.append(artifact.key)
    result.bytes_uploaded += len(artifact.body)
    if done is Upload.REPLACED:
        rt.ui.progress(f"  replaced {artifact.key}: the stored object's SHA-256 did not match "
                       f"its content ({artifact.name})")  # fmt: skip
        return
    rt.ui.progress(f"  uploaded {artifact.name} -> {artifact.key} ({len(artifact.body)} bytes)")


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
