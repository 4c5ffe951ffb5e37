"""The S3 and DynamoDB gateways name the call and the endpoint, as CloudFormation's does, and
a foreign page is "not a valid AWS answer" (exit 4) wherever it comes from: on DynamoDB's
JSON protocol botocore parses an HTML page with HTTP 200 as an empty reply, which would
otherwise read as "no such item" (or fail later as a bug).

Real botocore parsing against a small HTTP server (no moto: it would intercept requests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from deploy_harness import Answers, answering_endpoint

from deployer.errors import AwsCallError, CallFailure
from deployer.gateways.dynamodb import MessageTable
from deployer.gateways.s3 import ArtifactBucket

HTML = b"<html><body><h1>Welcome to the proxy</h1></body></html>"
ANSWERS: Answers = {
    "an HTML page with 200": (200, "text/html", HTML),
    "an HTML page with 200 and no content type": (200, None, HTML),
    "HTTP 502 from a proxy": (502, "text/html", HTML),
}


@pytest.fixture
def answering() -> Iterator[tuple[str, dict[str, str]]]:
    with answering_endpoint(ANSWERS) as endpoint:
        yield endpoint


def client(service: str, endpoint: str) -> Any:
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=5,
                    s3={"addressing_style": "path"})  # fmt: skip
    keys = {"aws_access_key_id": "k", "aws_secret_access_key": "s"}
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=config,
                        **keys)  # fmt: skip


@pytest.mark.parametrize("answer", list(ANSWERS))
@pytest.mark.parametrize(
    ("case", "read", "call"),
    [
        ("one item", lambda t: t.get_item("disa-dev-messages", "a"), "dynamodb GetItem"),
        ("a count", lambda t: t.count_by_status("disa-dev-messages"), "dynamodb Scan"),
        (
            "the table",
            lambda t: t.approximate_item_count("disa-dev-messages"),
            "dynamodb DescribeTable",
        ),
    ],  # fmt: skip
)
def test_a_foreign_answer_to_dynamodb_is_not_read_as_an_empty_one(
    answering: tuple[str, dict[str, str]], answer: str, case: str, read: Any, call: str
) -> None:
    endpoint, choice = answering
    choice["answer"] = answer

    with pytest.raises(AwsCallError) as caught:
        read(MessageTable(client("dynamodb", endpoint)))

    failure = CallFailure.SERVER_ERROR if answer.startswith("HTTP 5") else CallFailure.BAD_REPLY
    assert caught.value.failure is failure and caught.value.exit_code == 4
    assert f"{call} at {endpoint}: {failure.value}" in caught.value.message
    assert "Welcome" not in caught.value.message  # the foreign body is not echoed


@pytest.mark.parametrize(
    ("case", "act", "call"),
    [
        (
            "the check before an upload",
            lambda b: b.stored("artifacts/x.zip", b"x"),
            "s3 HeadObject",
        ),
        (
            "an upload",
            lambda b: b.ensure("artifacts/x.zip", b"x", "application/zip"),
            "s3 HeadObject",
        ),
        ("the posture check", lambda b: b.public_access_block(), "s3 GetPublicAccessBlock"),
        ("a purge", lambda b: b.purge(), "s3 ListObjectVersions"),
    ],  # fmt: skip
)
def test_s3_failures_name_the_call_and_the_endpoint(
    answering: tuple[str, dict[str, str]], case: str, act: Any, call: str
) -> None:
    endpoint, choice = answering
    choice["answer"] = "HTTP 502 from a proxy"
    bucket = ArtifactBucket(client("s3", endpoint), "disa-dev-artifacts", "arn:k", "111122223333")

    with pytest.raises(AwsCallError) as caught:
        act(bucket)

    assert f"{call} at {endpoint}: server error: HTTP 502" in caught.value.message
    assert caught.value.exit_code == 4
