"""Content-addressed uploads that S3 itself vouches for (moto, plus one scripted refusal).

An object is skipped only when S3's stored SHA-256 of it equals the content's; one planted
under the key of content not uploaded yet (what a pull request's planner role could do) is
replaced by the deployer, and refused, never deployed, when the caller may only add keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from deploy_harness import Cli
from moto import mock_aws

from deployer.errors import ExitCode, PreflightError
from deployer.gateways.s3 import ArtifactBucket, Stored, Upload, sha256_checksum

BUCKET = "disa-test-artifacts"
KEY = "artifacts/0123abcd.zip"
BODY = b"the real artifact"
POISON = b"what a pull request planted"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def bucket(client: Any) -> ArtifactBucket:
    return ArtifactBucket(
        client, BUCKET, "arn:aws:kms:us-east-1:123456789012:key/k", "123456789012"
    )


def puts(client: Any) -> list[dict[str, Any]]:
    """Record every PutObject's parameters."""
    seen: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: seen.append(dict(params))
    )
    return seen


def plant(
    client: Any, body: bytes, checksum: bool = True, bucket: str = BUCKET, key: str = KEY
) -> None:
    """Someone else's object under ``key``: S3 keeps the SHA-256 of *its* body, if sent."""
    extra = {"ChecksumAlgorithm": "SHA256", "ChecksumSHA256": sha256_checksum(body)}
    client.put_object(Bucket=bucket, Key=key, Body=body, **(extra if checksum else {}))


def stored_body(client: Any) -> bytes:
    return bytes(client.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())


def test_a_missing_artifact_goes_up_with_its_sha256_and_only_as_a_new_key(s3: Any) -> None:
    seen = puts(s3)
    assert bucket(s3).ensure(KEY, BODY, "application/zip") is Upload.UPLOADED
    (put,) = seen
    assert put["ChecksumAlgorithm"] == "SHA256"
    assert put["ChecksumSHA256"] == sha256_checksum(BODY)
    assert put["IfNoneMatch"] == "*"
    assert put["ServerSideEncryption"] == "aws:kms"
    head = s3.head_object(Bucket=BUCKET, Key=KEY, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == sha256_checksum(BODY)


def test_a_verified_artifact_is_skipped_without_a_put(s3: Any) -> None:
    bucket(s3).ensure(KEY, BODY, "application/zip")
    seen = puts(s3)
    assert bucket(s3).ensure(KEY, BODY, "application/zip") is Upload.SKIPPED
    assert seen == []


@pytest.mark.parametrize(
    "checksum",
    [
        pytest.param(True, id="planted-with-its-own-sha256"),
        pytest.param(False, id="legacy-object-without-sha256"),
    ],
)
def test_an_object_that_does_not_match_its_key_is_replaced(s3: Any, checksum: bool) -> None:
    plant(s3, POISON, checksum)
    assert bucket(s3).stored(KEY, BODY) is Stored.MISMATCH
    assert bucket(s3).ensure(KEY, BODY, "application/zip") is Upload.REPLACED
    assert stored_body(s3) == BODY
    assert bucket(s3).stored(KEY, BODY) is Stored.VERIFIED


def refuse_overwrites(client: Any) -> None:
    """What the planner role's policy does: a put without If-None-Match is AccessDenied."""

    def deny(params: dict[str, Any], **_: Any) -> Any:
        if "If-None-Match" in params.get("headers", {}):
            return None
        error = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
        return AWSResponse("https://s3", 403, {}, None), {**error, "ResponseMetadata": {}}

    client.meta.events.register("before-call.s3.PutObject", deny)


def test_a_caller_that_may_only_add_keys_refuses_a_mismatched_object(s3: Any) -> None:
    plant(s3, POISON)
    refuse_overwrites(s3)
    with pytest.raises(PreflightError) as caught:
        bucket(s3).ensure(KEY, BODY, "application/zip")
    assert caught.value.exit_code is ExitCode.REFUSED
    assert "does not match its content-addressed key" in caught.value.message
    assert stored_body(s3) == POISON  # nothing deployable changed


def test_a_caller_that_may_only_add_keys_still_uploads_new_ones(s3: Any) -> None:
    refuse_overwrites(s3)
    assert bucket(s3).ensure(KEY, BODY, "application/zip") is Upload.UPLOADED


@pytest.mark.parametrize(
    ("raced", "expected"),
    [
        pytest.param(BODY, Upload.SKIPPED, id="same-bytes-first"),
        pytest.param(POISON, Upload.REPLACED, id="other-bytes-first"),
    ],
)
def test_an_object_created_between_check_and_put_is_verified_not_overwritten_blindly(
    s3: Any, raced: bytes, expected: Upload
) -> None:
    def race(params: dict[str, Any], **_: Any) -> None:
        if params.get("IfNoneMatch") == "*" and not getattr(race, "done", False):
            race.done = True  # type: ignore[attr-defined]
            plant(boto3.client("s3", region_name="us-east-1"), raced)

    s3.meta.events.register("provide-client-params.s3.PutObject", race)
    assert bucket(s3).ensure(KEY, BODY, "application/zip") is expected
    assert stored_body(s3) == BODY


def test_package_replaces_a_planted_artifact_and_says_so(
    run: Cli, aws: None, project: Path
) -> None:
    first = run("package", "--env", "dev")
    assert first.exit_code == 0, first.output
    manifest = json.loads((project / ".disa" / "dev" / "manifest.json").read_text())
    target = next(a for a in manifest["artifacts"] if a["kind"] == "zip")
    client = boto3.client("s3", region_name="us-east-1")
    plant(client, POISON, bucket=manifest["bucket"], key=target["key"])

    again = run("package", "--env", "dev", "--output", "json")

    assert again.exit_code == 0, again.output
    assert f"replaced {target['key']}" in again.stderr
    assert json.loads(again.stdout)["counts"]["uploaded"] == 1
    body = client.get_object(Bucket=manifest["bucket"], Key=target["key"])["Body"].read()
    assert body == (project / ".disa" / "dev" / "build" / target["name"]).read_bytes()
