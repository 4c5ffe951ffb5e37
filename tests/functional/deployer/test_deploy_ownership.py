"""The tool deletes or replaces only what carries all three of its tags for this env and
project: the failed stack `up` would recreate, the stacks `destroy` deletes, the artifact
store `destroy --purge-artifacts` empties. Anything else is left untouched: exit 3, and not
one DeleteStack (CloudFormation scripted with Stubber, S3 and STS on moto)."""

from __future__ import annotations

import json

import boto3
import pytest
from cfn_script import BUCKET, OWNER_TAGS, STORE_ID, CfnScript, key_arn, stack
from deploy_harness import Cli

pytestmark = pytest.mark.usefixtures("aws")

FOREIGN = [
    ("another project", {**OWNER_TAGS, "disa:project": "other"}, "disa:project=other"),
    ("another env", {**OWNER_TAGS, "disa:env": "prod"}, "disa:env=prod"),
    ("another tool", {**OWNER_TAGS, "disa:managed-by": "terraform"}, "disa:managed-by=terraform"),
    ("no project tag", {k: v for k, v in OWNER_TAGS.items() if k != "disa:project"},
     "disa:project missing"),
]  # fmt: skip
CASES = [case[1:] for case in FOREIGN]
IDS = [case[0] for case in FOREIGN]


@pytest.mark.parametrize(("tags", "named"), CASES, ids=IDS)
def test_up_leaves_a_failed_stack_it_does_not_own_untouched(
    stubbed: Cli, cfn: CfnScript, tags: dict[str, str], named: str
) -> None:
    cfn.store_ready()
    cfn.describe(stack("ROLLBACK_COMPLETE", tags=tags))

    result = stubbed("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 3, result.output
    assert "disa-dev is ROLLBACK_COMPLETE and does not carry this tool's tags" in result.stderr
    assert named in result.stderr
    assert "aws cloudformation delete-stack --stack-name disa-dev" in result.stderr
    assert "DeleteStack" not in cfn.calls
    assert json.loads(result.stdout)["exit_code"] == 3


@pytest.mark.parametrize(("tags", "named"), CASES, ids=IDS)
def test_destroy_leaves_a_stack_it_does_not_own_untouched(
    stubbed: Cli, cfn: CfnScript, tags: dict[str, str], named: str
) -> None:
    cfn.describe(stack("UPDATE_COMPLETE", tags=tags))

    result = stubbed("destroy", "--env", "dev", "--yes")

    assert result.exit_code == 3, result.output
    assert "refusing to destroy disa-dev" in result.stderr
    assert named in result.stderr and "nothing was deleted" in result.stderr
    assert cfn.calls == ["DescribeStacks"]  # not even a listing before the refusal


def test_destroy_does_not_purge_an_artifact_store_it_does_not_own(
    stubbed: Cli, cfn: CfnScript
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=BUCKET, Key="artifacts/keep.zip", Body=b"zip")
    cfn.describe(stack("UPDATE_COMPLETE"))
    foreign = {**OWNER_TAGS, "disa:project": "someone-else"}
    outputs = {"BucketName": BUCKET, "KeyArn": key_arn()}
    cfn.describe(stack("CREATE_COMPLETE", STORE_ID, "disa-dev-artifacts", foreign, None, outputs))

    result = stubbed("destroy", "--env", "dev", "--yes", "--purge-artifacts")

    assert result.exit_code == 3, result.output
    assert "refusing to destroy disa-dev-artifacts" in result.stderr
    assert "DeleteStack" not in cfn.calls
    assert [o["Key"] for o in s3.list_object_versions(Bucket=BUCKET)["Versions"]] == [
        "artifacts/keep.zip"
    ]
