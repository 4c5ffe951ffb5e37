"""A scripted CloudFormation client (botocore Stubber) with responses shaped like AWS's.

moto cannot show failure events, rollback states, nested change sets or "no changes"
reasons; these tests script CloudFormation call by call instead, while S3 and STS stay on
moto (so packaging runs for real). The Stubber fails the test on any unexpected call.

Beyond the Stubber's answers and ClientErrors, a script can make any call *raise* what
botocore raises on a bad day (``ResponseParserError``, ``ReadTimeoutError``…): a handler
registered first on ``before-parameter-build`` (botocore's public event API, emitted before
the Stubber looks at its queue) raises the scripted exception at its place in the sequence.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

ACCOUNT = "123456789012"
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
ROOT_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/disa-dev/root-1"
OLD_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/disa-dev/old-0"
NESTED_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/disa-dev-StorageStack-X/nested-1"
STORE_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/disa-dev-artifacts/store-1"
CS_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/disa-deploy-x/cs-1"
NESTED_CS_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/nested/cs-2"
BUCKET = "disa-dev-artifacts-123456789012"
# The --timeout value that gives a 60 s budget. The CLI takes minutes on this branch; when
# --timeout takes seconds ("90s", "15m"), this becomes "60" and every test follows.
SIXTY_SECONDS = "60"
OWNER_TAGS = {"disa:managed-by": "disa-deploy", "disa:env": "dev", "disa:project": "disa"}


def stack(
    status: str,
    stack_id: str = ROOT_ID,
    name: str = "disa-dev",
    tags: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    outputs: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "StackName": name,
        "StackId": stack_id,
        "CreationTime": T0,
        "StackStatus": status,
        "Tags": [{"Key": k, "Value": v} for k, v in (OWNER_TAGS if tags is None else tags).items()],
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in (params or {}).items()],
        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in (outputs or {}).items()],
    }


def event(
    n: int,
    logical: str,
    status: str,
    rtype: str = "AWS::CloudFormation::Stack",
    reason: str = "",
    physical: str = "",
    stack_id: str = ROOT_ID,
) -> dict[str, Any]:
    raw = {
        "StackId": stack_id,
        "EventId": f"{stack_id[-6:]}-e{n}",
        "StackName": "disa-dev",
        "LogicalResourceId": logical,
        "PhysicalResourceId": physical,
        "ResourceType": rtype,
        "Timestamp": T0 + timedelta(seconds=n),
        "ResourceStatus": status,
    }
    if reason:
        raw["ResourceStatusReason"] = reason
    return raw


def change(
    action: str, logical: str, rtype: str, replacement: str = "", nested_cs: str | None = None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": logical,
        "ResourceType": rtype,
    }
    if replacement:
        resource["Replacement"] = replacement
    if nested_cs:
        resource["ChangeSetId"] = nested_cs
    return {"Type": "Resource", "ResourceChange": resource}


class CfnScript:
    def __init__(self) -> None:
        self.client = boto3.client("cloudformation", region_name="us-east-1")
        # One entry per scripted call, in order: None (the Stubber answers) or an exception.
        self.script: deque[tuple[str, Exception | None]] = deque()
        self.calls: list[str] = []  # every operation the tool called, in order
        self.unexpected: list[str] = []  # calls the script did not expect
        # Registered before the Stubber's own first handlers, so they run before them.
        self.client.meta.events.register_first("before-parameter-build.*.*", self._fault)
        self.client.meta.events.register_first("before-call.*.*", self._consume)
        self.stubber = Stubber(self.client)
        self.stubber.activate()

    def _fault(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)
        if not self.script or self.script[0][0] != model.name:
            # The Stubber raises too, but a best-effort cleanup may swallow that: keep it.
            self.unexpected.append(model.name)
            return
        operation, exception = self.script[0]
        if exception is None:
            return
        self.script.popleft()
        raise exception

    def _answer(self, method: str) -> None:
        self.script.append((self.client.meta.method_to_api_mapping[method], None))

    def _consume(self, **_: Any) -> None:
        """A call the Stubber answers (it passed _fault): its script entry is used up."""
        if self.script and self.script[0][1] is None:
            self.script.popleft()

    def add(
        self, operation: str, response: dict[str, Any], params: dict[str, Any] | None = None
    ) -> None:
        self._answer(operation)
        self.stubber.add_response(operation, response, params)

    def error(self, operation: str, code: str, message: str, status: int = 400) -> None:
        self._answer(operation)
        self.stubber.add_client_error(operation, code, message, status)

    def fail(self, operation: str, exception: Exception) -> None:
        """The next scripted call (of ``operation``) raises ``exception`` instead of answering."""
        self.script.append((self.client.meta.method_to_api_mapping[operation], exception))

    def throttle(self, operation: str) -> None:
        self.error(operation, "Throttling", "Rate exceeded")

    def describe(self, *stacks: dict[str, Any]) -> None:
        self.add("describe_stacks", {"Stacks": list(stacks)})

    def missing(self, name: str = "disa-dev") -> None:
        self.error("describe_stacks", "ValidationError", f"Stack with id {name} does not exist")

    def assert_done(self) -> None:
        self.stubber.assert_no_pending_responses()
        assert not self.script, f"scripted calls never made: {list(self.script)}"
        assert not self.unexpected, f"calls the script did not expect: {self.unexpected}"

    def events(self, *events: dict[str, Any], stack_id: str = ROOT_ID) -> None:
        """One DescribeStackEvents page, given oldest first (sent newest first, as AWS does)."""
        self.add(
            "describe_stack_events",
            {"StackEvents": list(reversed(events))},
            {"StackName": stack_id},
        )

    def store_ready(self) -> None:
        self.describe(
            stack(
                "CREATE_COMPLETE",
                STORE_ID,
                "disa-dev-artifacts",
                outputs={"BucketName": BUCKET, "KeyArn": key_arn()},
            )
        )

    def change_set(
        self, status: str, changes: list[dict[str, Any]], reason: str = "", cs_id: str = CS_ID
    ) -> None:
        response: dict[str, Any] = {
            "ChangeSetId": cs_id,
            "StackId": ROOT_ID,
            "Status": status,
            "ExecutionStatus": "AVAILABLE",
            "Changes": changes,
        }
        if reason:
            response["StatusReason"] = reason
        self.add("describe_change_set", response, {"ChangeSetName": cs_id})

    def create_change_set(self, kind: str) -> None:
        self.add(
            "create_change_set",
            {"Id": CS_ID, "StackId": ROOT_ID},
            {
                "StackName": "disa-dev",
                "ChangeSetName": ANY,
                "ChangeSetType": kind,
                "Parameters": ANY,
                "Tags": ANY,
                "IncludeNestedStacks": True,
                "TemplateBody": ANY,
                "Capabilities": [
                    "CAPABILITY_IAM",
                    "CAPABILITY_NAMED_IAM",
                    "CAPABILITY_AUTO_EXPAND",
                ],
            },
        )


_KEY_ARN: list[str] = []


def key_arn() -> str:
    return _KEY_ARN[0] if _KEY_ARN else "arn:aws:kms:us-east-1:123456789012:key/unset"


def make_store() -> None:
    """The artifact store as the real stack would leave it (bucket private and SSE-KMS)."""
    kms = boto3.client("kms", region_name="us-east-1")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    _KEY_ARN[:] = [arn]
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": arn,
                    }
                }
            ]
        },
    )


TABLE_TYPE = "AWS::DynamoDB::Table"


def up_to_execution(script: CfnScript) -> dict[str, Any]:
    """`up` of an absent stack, scripted up to (not including) ExecuteChangeSet.

    Returns the REVIEW_IN_PROGRESS event, the one the watch of the execution starts after.
    """
    script.store_ready()
    script.missing()
    script.create_change_set("CREATE")
    script.change_set("CREATE_COMPLETE", [change("Add", "Table", TABLE_TYPE)])
    review = event(0, "disa-dev", "REVIEW_IN_PROGRESS", physical=ROOT_ID)
    script.events(review)
    return review


def cleanup_of_a_created_stack(script: CfnScript) -> None:
    """What a failure before execution removes: the change set, then the stack it made."""
    script.add("delete_change_set", {}, {"ChangeSetName": CS_ID})
    script.add("describe_stacks", {"Stacks": [stack("REVIEW_IN_PROGRESS")]}, {"StackName": ROOT_ID})
    script.add("list_change_sets", {"Summaries": []}, {"StackName": ROOT_ID})
    script.add("delete_stack", {}, {"StackName": ROOT_ID})
