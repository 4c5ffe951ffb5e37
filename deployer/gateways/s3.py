"""S3 gateway for the artifact bucket: presence checks, encrypted puts, posture, purge.

Every put names the env's KMS key (SSE-KMS) and the expected bucket owner, so an artifact
can never land unencrypted or in a bucket someone else re-created under the same name.
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from deployer.gateways.base import aws_errors, error_code

NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
NO_CONFIG = frozenset(
    {"NoSuchPublicAccessBlockConfiguration", "ServerSideEncryptionConfigurationNotFoundError"}
)
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


class ArtifactBucket:
    def __init__(self, client: Any, bucket: str, key_arn: str, owner: str) -> None:
        self.client = client
        self.bucket = bucket
        self.key_arn = key_arn
        self.owner = owner

    def has(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key, ExpectedBucketOwner=self.owner)
        except botocore.exceptions.ClientError as err:
            if error_code(err) in NOT_FOUND:
                return False
            with aws_errors(f"check s3://{self.bucket}/{key}"):
                raise
        return True

    def put(self, key: str, body: bytes, content_type: str) -> None:
        with aws_errors(f"upload s3://{self.bucket}/{key}"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.key_arn,
                ExpectedBucketOwner=self.owner,
            )

    def public_access_block(self) -> dict[str, bool]:
        reply = self._optional(self.client.get_public_access_block, "public access block")
        return dict(reply.get("PublicAccessBlockConfiguration", {})) if reply else {}

    def block_public_access(self) -> None:
        with aws_errors(f"block public access on {self.bucket}"):
            self.client.put_public_access_block(
                Bucket=self.bucket,
                PublicAccessBlockConfiguration=BLOCK_ALL,
                ExpectedBucketOwner=self.owner,
            )

    def default_encryption(self) -> list[dict[str, Any]]:
        reply = self._optional(self.client.get_bucket_encryption, "encryption")
        config = reply.get("ServerSideEncryptionConfiguration", {}) if reply else {}
        return [
            rule.get("ApplyServerSideEncryptionByDefault", {}) for rule in config.get("Rules", [])
        ]

    def purge(self) -> int:
        """Delete every object version and delete marker; returns how many were deleted."""
        deleted = 0
        with aws_errors(f"empty {self.bucket}"):
            pages = self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket)
            for page in pages:
                batch = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                for start in range(0, len(batch), 1000):
                    chunk = batch[start : start + 1000]
                    self.client.delete_objects(
                        Bucket=self.bucket,
                        Delete={"Objects": chunk, "Quiet": True},
                        ExpectedBucketOwner=self.owner,
                    )
                    deleted += len(chunk)
        return deleted

    def _optional(self, call: Any, what: str) -> dict[str, Any] | None:
        try:
            return dict(call(Bucket=self.bucket, ExpectedBucketOwner=self.owner))
        except botocore.exceptions.ClientError as err:
            if error_code(err) in NO_CONFIG:
                return None
            with aws_errors(f"read {what} of {self.bucket}"):
                raise
