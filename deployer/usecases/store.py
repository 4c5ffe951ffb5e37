"""The env's artifact store (KMS key + private bucket) and the account guard.

The store is its own small stack (``cft/artifact-store-stack.yaml``, outputs ``KeyArn`` and
``BucketName``), created on first use and reused afterwards; a run that finds another
creating it (two first runs at once) waits for that creation and uses the store it makes.
Before anything is uploaded the bucket must block all public access and default to SSE-KMS;
otherwise the tool refuses, on AWS and on the emulator alike (the emulator applies the
template's block as CloudFormation does: ``deployer/local/patches/s3_public_access.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from deployer.cfn.stack_states import SETTLED_OK
from deployer.errors import AwsCallError, DeployFailedError, PreflightError
from deployer.gateways.cloudformation import TemplateSource
from deployer.gateways.s3 import ArtifactBucket
from deployer.runtime import Runtime
from deployer.usecases.waiting import wait_until_settled

STORE_TIMEOUT_SECONDS = 15 * 60


@dataclass(frozen=True)
class Store:
    bucket: str
    key_arn: str


def check_account(rt: Runtime) -> str:
    actual = rt.identity.account_id()
    expected = rt.config.account_id
    if actual != expected:
        raise PreflightError(
            f"credentials are for account {actual}, but env {rt.config.name} is account "
            f"{expected} ({rt.config.source})",
            hint="switch credentials (--profile / AWS_PROFILE) or fix account_id in the env file",
        )
    return actual


def ensure_store(rt: Runtime, create: bool = True) -> Store:
    """The store's bucket and key, the store created first if it is missing and ``create``."""
    name = rt.config.artifact_stack_name
    stack = wait_until_settled(rt, name, STORE_TIMEOUT_SECONDS)
    absent = stack is None or stack.status == "DELETE_COMPLETE"
    if absent and not create:
        raise PreflightError(
            f"artifact store stack {name} does not exist",
            hint="a reviewed plan reads its artifacts from the store; run `disa-deploy plan "
            "--save` again once the store is back",
        )
    if absent:
        template = rt.project.require(rt.project.artifact_store_template)
        rt.progress.line(f"creating artifact store stack {name} (first use of this env)")
        body = template.read_text(encoding="utf-8")
        params = {"Project": rt.config.project, "Env": rt.config.name}
        try:
            rt.stacks.create_stack(name, TemplateSource(body=body), params, rt.config.stack_tags)
        except AwsCallError as err:
            if err.code != "AlreadyExistsException":
                raise
            rt.progress.line(f"another run created {name} first: waiting for it, then using it")
        stack = wait_until_settled(rt, name, STORE_TIMEOUT_SECONDS)
    if stack is None or stack.status not in SETTLED_OK:
        raise DeployFailedError(
            f"artifact store stack {name} is {stack.status if stack else 'gone'}",
            hint=f"see its events (aws cloudformation describe-stack-events --stack-name {name}); "
            "`disa-deploy destroy --purge-artifacts` removes it",
        )
    missing = {"BucketName", "KeyArn"} - set(stack.outputs)
    if missing:
        raise DeployFailedError(f"artifact store stack {name} lacks outputs {sorted(missing)}")
    return Store(stack.outputs["BucketName"], stack.outputs["KeyArn"])


def verify_store(rt: Runtime, bucket: ArtifactBucket) -> None:
    block = bucket.public_access_block()
    if not _all_blocked(block):
        raise PreflightError(
            f"artifact bucket {bucket.bucket} does not block all public access ({block or 'none'})",
            hint="restore PublicAccessBlockConfiguration (all four true) in the artifact stack",
        )
    rules = bucket.default_encryption()
    if not any(rule.get("SSEAlgorithm") == "aws:kms" for rule in rules):
        raise PreflightError(
            f"artifact bucket {bucket.bucket} does not default to SSE-KMS ({rules or 'none'})",
            hint="restore BucketEncryption with SSEAlgorithm aws:kms in the artifact stack",
        )


def _all_blocked(block: dict[str, bool]) -> bool:
    keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    return all(block.get(key) is True for key in keys)
