"""Patch: fixes to moto's own CloudFormation models that DISA's stacks run into.

What moto lacks:
- a change to a DynamoDB table, KMS key, log group or Lambda permission replaces the
  resource in the stack's map with nothing, because those models have no update handler.
- ``AWS::KMS::Key`` with ``Tags`` crashes moto (CloudFormation's Key/Value tags reach a
  tagger that wants TagKey/TagValue).
- moto evaluates a bucket policy without its Conditions, so "deny unless TLS" would deny
  every request.

What the patch does: gives the four types an update handler that keeps the existing
resource (logged: the emulator does not model in-place changes to them); converts the KMS
tags; and stores bucket policies without enforcing them (``cfn_resources`` stores them).
"""

from __future__ import annotations

import logging
from typing import Any

from moto.cloudformation import parsing
from moto.iam.access_control import PermissionResult
from moto.kms.models import Key as KmsKey
from moto.s3.models import FakeBucket

from deployer.local.patches import Installer, Patch

LOG = logging.getLogger("disa.local.cfn")
_ORIGINAL_KMS_CREATE = KmsKey.create_from_cloudformation_json
KEEP_ON_UPDATE = (
    "AWS::DynamoDB::Table",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::Lambda::Permission",
)


def install(installer: Installer) -> None:
    model_map = parsing.get_model_map()
    installer.replace(FakeBucket, "get_permission", bucket_policy_not_enforced)
    installer.replace(KmsKey, "create_from_cloudformation_json", classmethod(kms_key_with_tags))
    for resource_type in KEEP_ON_UPDATE:
        installer.replace(
            model_map[resource_type], "update_from_cloudformation_json", classmethod(keep_existing)
        )


def keep_existing(
    cls: Any,
    /,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    LOG.warning(
        "%s %s: in-place changes are not modelled locally; keeping the existing resource",
        cloudformation_json.get("Type"),
        new_resource_name,
    )
    return original_resource


def kms_key_with_tags(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """moto hands CloudFormation's ``Key``/``Value`` tags to KMS, which wants ``TagKey``."""
    properties = dict(cloudformation_json["Properties"])
    properties["Tags"] = [
        {"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags") or []
    ]
    fixed = dict(cloudformation_json, Properties=properties)
    return _ORIGINAL_KMS_CREATE(resource_name, fixed, account_id, region_name, **kwargs)


def bucket_policy_not_enforced(self: Any, action: str, resource: str) -> Any:
    """moto evaluates bucket policies without their Conditions, so a standard
    "deny unless TLS" statement would deny everything: locally, policies are not enforced."""
    return PermissionResult.NEUTRAL


PATCH = Patch(
    name="cfn_model_fixes",
    requires=(
        ("moto.cloudformation.parsing", "get_model_map"),
        ("moto.kms.models", "Key.create_from_cloudformation_json"),
        ("moto.s3.models", "FakeBucket.get_permission"),
        ("moto.iam.access_control", "PermissionResult.NEUTRAL"),
        ("moto.dynamodb.models.table", "Table.update_from_cloudformation_json"),
        ("moto.logs.models", "LogGroup.update_from_cloudformation_json"),
        ("moto.awslambda.models", "Permission.update_from_cloudformation_json"),
        ("moto.kms.models", "Key.update_from_cloudformation_json"),
    ),
    install=install,
)
