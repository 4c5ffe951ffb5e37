"""Patch: a bucket created by CloudFormation gets its ``PublicAccessBlockConfiguration``.

What moto lacks: its ``AWS::S3::Bucket`` model ignores ``PublicAccessBlockConfiguration``, so
the artifact bucket of ``cft/artifact-store-stack.yaml`` comes out with no public access
block, and ``package``'s check (the bucket must block all public access) refuses it.

What the patch does: after moto creates the bucket, the block in the template is applied
with the S3 backend's ``put_public_access_block``, as CloudFormation does on AWS. The tool
then checks it on the emulator exactly as on AWS (no emulator exception in the use case).
The functional tests on in-process moto install this patch alone (see ``installed``).
"""

from __future__ import annotations

from typing import Any

from moto.s3 import models as s3_models

from deployer.local.patches import Installer, Patch

_ORIGINAL_CREATE = s3_models.FakeBucket.create_from_cloudformation_json


def install(installer: Installer) -> None:
    installer.replace(
        s3_models.FakeBucket, "create_from_cloudformation_json", classmethod(create_bucket)
    )


def create_bucket(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    bucket = _ORIGINAL_CREATE(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    block = cloudformation_json.get("Properties", {}).get("PublicAccessBlockConfiguration")
    if block:
        backend = s3_models.s3_backends[account_id]["aws"]
        settings = {key: str(value).lower() == "true" for key, value in block.items()}
        backend.put_public_access_block(bucket.name, settings)
    return bucket


PATCH = Patch(
    name="s3_public_access",
    requires=(
        ("moto.s3.models", "FakeBucket.create_from_cloudformation_json"),
        ("moto.s3.models", "S3Backend.put_public_access_block"),
        ("moto.s3.models", "s3_backends"),
    ),
    fields={"FakeBucket": ("name",)},
    install=install,
)
