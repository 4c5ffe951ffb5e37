"""S3 gateway for the artifact bucket: verified uploads, posture, purge.

Every put names the env's KMS key (SSE-KMS) and the expected bucket owner, so an artifact
can never land unencrypted or in a bucket someone else re-created under the same name.

Keys are content-addressed, so an object already under a key is skipped, but only once S3
itself vouches for it: every put carries the body's SHA-256 (S3 rejects a body that does not
match it and keeps it as the object's checksum), and :meth:`ArtifactBucket.ensure` reads that
checksum back (HeadObject with ChecksumMode) and compares it with the content's. An object
planted under the key of content not uploaded yet (anyone who may put objects, such as a
pull request's planner role, can compute such keys) is therefore never deployed: the
deployer replaces it, and a role that may only add new keys (``If-None-Match: *``) is
refused. New objects go up with ``If-None-Match: *``, so a put never overwrites an object
another writer created in the meantime. Every call goes through :func:`aws_call`, so a
failure names the operation and the endpoint.
"""

from __future__ import annotations

import base64
import enum
import hashlib
from typing import Any

from deployer.errors import DeployError, PreflightError
from deployer.gateways.base import aws_call, cause_code

NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
PRECONDITION_FAILED = frozenset({"412", "PreconditionFailed"})
DENIED = frozenset({"403", "AccessDenied"})
NO_CONFIG = frozenset(
    {"NoSuchPublicAccessBlockConfiguration", "ServerSideEncryptionConfigurationNotFoundError"}
)


class Stored(enum.Enum):
    MISSING = "missing"
    VERIFIED = "verified"  # S3's SHA-256 of the object equals the content's
    MISMATCH = "mismatch"  # present, but S3 holds no SHA-256 of it, or another one


class Upload(enum.Enum):
    SKIPPED = "skipped"  # already there, verified
    UPLOADED = "uploaded"
    REPLACED = "replaced"  # an object that did not match its key was overwritten


def sha256_checksum(body: bytes) -> str:
    """The form S3 stores and returns: base64 of the raw SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


class ArtifactBucket:
    def __init__(self, client: Any, bucket: str, key_arn: str, owner: str) -> None:
        self.client = client
        self.bucket = bucket
        self.key_arn = key_arn
        self.owner = owner

    def stored(self, key: str, body: bytes) -> Stored:
        try:
            head = self._call("head_object", f"check s3://{self.bucket}/{key}", Key=key,
                              ChecksumMode="ENABLED")  # fmt: skip
        except DeployError as err:
            if cause_code(err) in NOT_FOUND:
                return Stored.MISSING
            raise
        if head.get("ChecksumSHA256") == sha256_checksum(body):
            return Stored.VERIFIED
        return Stored.MISMATCH

    def ensure(self, key: str, body: bytes, content_type: str) -> Upload:
        """Make ``key`` hold exactly ``body``, uploading only what is missing or wrong."""
        state = self.stored(key, body)
        if state is Stored.MISSING:
            if self._put(key, body, content_type, only_new=True):
                return Upload.UPLOADED
            state = self.stored(key, body)  # another writer created it meanwhile
        if state is Stored.VERIFIED:
            return Upload.SKIPPED
        self._put(key, body, content_type, only_new=False)
        return Upload.REPLACED

    def _put(self, key: str, body: bytes, content_type: str, only_new: bool) -> bool:
        """Put the object; False if ``only_new`` and the key exists by then."""
        condition = {"IfNoneMatch": "*"} if only_new else {}
        try:
            self._call(
                "put_object", f"upload s3://{self.bucket}/{key}",
                Key=key, Body=body, ContentType=content_type, ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.key_arn, ChecksumAlgorithm="SHA256",
                ChecksumSHA256=sha256_checksum(body), **condition,
            )  # fmt: skip
        except DeployError as err:
            code = cause_code(err)
            if only_new and code in PRECONDITION_FAILED:
                return False
            if not only_new and code in DENIED:
                raise PreflightError(
                    f"s3://{self.bucket}/{key} holds an object whose SHA-256 does not match "
                    "its content-addressed key, and these credentials may not replace it: "
                    "refusing to deploy from it",
                    hint="a deploy with the deployer role (or an administrator) replaces it; "
                    "find out who wrote it (CloudTrail) before you do",
                ) from err
            raise
        return True

    def public_access_block(self) -> dict[str, bool]:
        reply = self._optional("get_public_access_block", "public access block")
        return dict(reply.get("PublicAccessBlockConfiguration", {})) if reply else {}

    def default_encryption(self) -> list[dict[str, Any]]:
        reply = self._optional("get_bucket_encryption", "encryption")
        config = reply.get("ServerSideEncryptionConfiguration", {}) if reply else {}
        return [
            rule.get("ApplyServerSideEncryptionByDefault", {}) for rule in config.get("Rules", [])
        ]

    def purge(self) -> int:
        """Delete every object version and delete marker; returns how many were deleted."""
        deleted = 0
        marks: dict[str, str] = {}
        while True:
            page = self._call("list_object_versions", f"list versions in {self.bucket}", **marks)
            batch = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for start in range(0, len(batch), 1000):
                chunk = batch[start : start + 1000]
                self._call("delete_objects", f"empty {self.bucket}",
                           Delete={"Objects": chunk, "Quiet": True})  # fmt: skip
                deleted += len(chunk)
            if not page.get("IsTruncated"):
                return deleted
            marks = {name: page[f"Next{name}"] for name in ("KeyMarker", "VersionIdMarker")
                     if page.get(f"Next{name}")}  # fmt: skip

    def _call(self, method: str, action: str, **params: Any) -> Any:
        """A call on this bucket, always naming the expected owner."""
        return aws_call(self.client, method, action, Bucket=self.bucket,
                        ExpectedBucketOwner=self.owner, **params)  # fmt: skip

    def _optional(self, method: str, what: str) -> dict[str, Any] | None:
        try:
            return dict(self._call(method, f"read {what} of {self.bucket}"))
        except DeployError as err:
            if cause_code(err) in NO_CONFIG:
                return None
            raise
