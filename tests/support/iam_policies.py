"""Every IAM policy document in cft/, with intrinsic functions resolved to example values.

The templates write ARNs with ``!Sub``, ``!Ref``, ``!GetAtt`` and ``!If``; a reviewer (or a
linter such as parliament) reads plain JSON. :func:`documents` walks every template and
returns each policy (identity policies, the permissions boundary, trust policies, key,
bucket, topic and queue policies) resolved with one consistent set of example values:
project ``disa``, env ``dev``, account ``111122223333``, region ``eu-west-1``. Conditions
take their true branch, so a conditional statement is checked as if present.

Run as a script to write the documents as JSON files for parliament::

    python tests/support/iam_policies.py OUT_DIR
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `support` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.cfn_yaml import CFT, all_template_paths, load_template

ACCOUNT = "111122223333"
REGION = "eu-west-1"
PARTITION = "aws"
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "disa-dev-ci",
}
# Values of parameters whose Default does not say enough (nested stack outputs, e-mails).
EXAMPLE_PARAMETERS = {
    "Project": "disa",
    "Env": "dev",
    "GitHubRepository": "example-org/disa",
    "OidcProviderArn": "",
    "SubscriptionEndpoints": ["ops@example.org"],
    "KmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/disa-dev-messages",
    "TableStreamArn": (
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/disa-dev-messages/stream/2024-01-01T00:00:00"
    ),
    "TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:disa-dev-messages",
    "OpsTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:disa-dev-ops",
    "PermissionsBoundaryArn": (f"arn:aws:iam::{ACCOUNT}:policy/ci/disa-dev-app-boundary-{REGION}"),
}
POLICY_PROPERTIES = {
    "AWS::IAM::ManagedPolicy": "PolicyDocument",
    "AWS::IAM::Policy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
}


@dataclass(frozen=True)
class Document:
    template: str  # path relative to cft/
    resource: str  # logical id
    name: str  # e.g. "code" for a role's inline policy, "trust", "policy"
    kind: str  # identity | boundary | trust | resource
    body: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.template}:{self.resource}:{self.name}"

    @property
    def statements(self) -> list[dict[str, Any]]:
        found = self.body.get("Statement", [])
        return [s for s in (found if isinstance(found, list) else [found]) if s is not None]


class Resolver:
    """Resolves a template fragment's intrinsic functions with the example values."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template
        self.values: dict[str, Any] = dict(PSEUDO)
        for name, spec in (template.get("Parameters") or {}).items():
            if name in EXAMPLE_PARAMETERS:
                self.values[name] = EXAMPLE_PARAMETERS[name]
            elif "Default" in spec:
                self.values[name] = spec["Default"]

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.resolve(x) for x in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::Sub":
                return self.sub(arg)
            if key == "Fn::GetAtt":
                return self.get_att(arg[0], arg[1])
            if key == "Fn::If":
                return self.resolve(arg[1])
            if key == "Fn::Join":
                return str(arg[0]).join(str(v) for v in self.resolve(arg[1]))
        resolved = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.values:
            return self.values[name]
        resource = self.template["Resources"][name]
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            return self.managed_policy_arn(resource["Properties"])
        if resource["Type"] == "AWS::IAM::OIDCProvider":
            return f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
        if resource["Type"] == "AWS::IAM::Role":
            return self.resolve(resource["Properties"]["RoleName"])
        return f"{name}-physical-id"

    def sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.resolve(v) for k, v in extra.items()}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name:
                return str(self.get_att(*name.split(".", 1)))
            value = self.ref(name)
            return ",".join(value) if isinstance(value, list) else str(value)

        return re.sub(r"\$\{([^}!]+)\}", fill, text)

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.template["Resources"][logical_id]
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role" and attribute == "Arn":
            path = self.resolve(props.get("Path", "/"))
            return f"arn:aws:iam::{ACCOUNT}:role{path}{self.resolve(props['RoleName'])}"
        if resource["Type"] == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{self.resolve(props['BucketName'])}"
        if resource["Type"] == "AWS::SQS::Queue" and attribute == "Arn":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.resolve(props['QueueName'])}"
        return f"{logical_id}.{attribute}"

    def managed_policy_arn(self, props: dict[str, Any]) -> str:
        path = self.resolve(props.get("Path", "/"))
        return f"arn:aws:iam::{ACCOUNT}:policy{path}{self.resolve(props['ManagedPolicyName'])}"


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()


def documents() -> list[Document]:
    found: list[Document] = []
    for path in all_template_paths():
        template = load_template(path)
        resolver = Resolver(template)
        name = path.relative_to(CFT).as_posix()
        for logical_id, resource in template["Resources"].items():
            found.extend(_documents_of(name, logical_id, resource, resolver))
    return found


def _documents_of(
    template: str, logical_id: str, resource: dict[str, Any], resolver: Resolver
) -> list[Document]:
    props = resource.get("Properties", {})
    kind = resource["Type"]
    if kind == "AWS::IAM::Role":
        docs = [
            Document(template, logical_id, "trust", "trust",
                     resolver.resolve(props["AssumeRolePolicyDocument"])),
        ]  # fmt: skip
        for policy in props.get("Policies", []):
            body = resolver.resolve(policy["PolicyDocument"])
            docs.append(Document(template, logical_id, policy["PolicyName"], "identity", body))
        return docs
    if kind not in POLICY_PROPERTIES:
        return []
    body = resolver.resolve(props[POLICY_PROPERTIES[kind]])
    if kind.startswith("AWS::IAM::"):
        attached = props.get("Roles") or props.get("Users") or props.get("Groups")
        role = "identity" if attached else "boundary"
        return [Document(template, logical_id, "policy", role, body)]
    return [Document(template, logical_id, "policy", "resource", body)]


def write_json(out_dir: Path) -> list[Path]:
    """One JSON file per identity or boundary policy (what parliament audits)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in documents():
        if doc.kind not in ("identity", "boundary"):
            continue
        target = out_dir / (doc.label.replace("/", "_").replace(":", "__") + ".json")
        target.write_text(json.dumps(doc.body, indent=2) + "\n", encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    for written in write_json(Path(sys.argv[1])):
        print(written)
