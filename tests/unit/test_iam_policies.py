"""Every IAM policy in cft/, held to the security rules, one named case per rule.

The documents come resolved (tests/support/iam_policies.py): ARNs as AWS would see them for
an example environment, conditional statements as if present. Each rule is a function from a
document to its violations; every rule is run on every document, and is shown to catch the
statement it exists for, so none of them can pass by matching nothing.

The rules:
- ``role-writes-without-boundary``: an Allow that lets its holder create a role or write,
  attach or delete a role's policies, unless conditioned on ``iam:PermissionsBoundary``
  equal to the environment's application boundary;
- ``boundary-or-policy-version-writes``: any Allow of deleting a permissions boundary or of
  writing, deleting or choosing a managed policy version;
- ``kms-management-or-decrypt-on-any-key``: an Allow of KMS key management (tags, key policy,
  grants, aliases, deletion...) on a wildcard key, or of decrypting on a wildcard key except
  through a named service (``kms:ViaService``);
- ``subscribe-without-endpoint-and-protocol``: an Allow of ``sns:Subscribe`` without both an
  ``sns:Endpoint`` and an ``sns:Protocol`` condition;
- ``ci-reads-message-bodies``: a CI role's Allow of reading table items without an attribute
  list (``dynamodb:Attributes``) that leaves ``message`` out.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

import pytest
from support.cfn_yaml import CFT, load_template
from support.iam_policies import Document, Resolver, documents

DOCUMENTS = documents()
DEPLOYER_STACK = load_template(CFT / "deployer-role-stack.yaml")
BOUNDARY_ARN = Resolver(DEPLOYER_STACK).ref("ApplicationBoundary")

ROLE_WRITES = (
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
)
BOUNDARY_WRITES = (
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicy",
)
KMS_MANAGEMENT = (
    "kms:CreateKey",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "kms:RevokeGrant",
    "kms:RetireGrant",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:DisableKeyRotation",
    "kms:UpdateKeyDescription",
    "kms:ReplicateKey",
)
KMS_DECRYPT = ("kms:Decrypt", "kms:ReEncryptFrom")
ITEM_READS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows(statement: dict[str, Any], action: str) -> bool:
    """Whether an Allow statement grants ``action`` (wildcards and NotAction included)."""
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return not any(
            fnmatch.fnmatchcase(action.lower(), p.lower()) for p in as_list(statement["NotAction"])
        )
    patterns = as_list(statement.get("Action", []))
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def condition_values(statement: dict[str, Any], key: str) -> dict[str, list[Any]]:
    """{operator: values} of every condition on ``key`` (case-insensitive, as IAM reads it)."""
    found = {}
    for operator, pairs in (statement.get("Condition") or {}).items():
        for name, value in pairs.items():
            if name.lower() == key.lower():
                found[operator] = as_list(value)
    return found


def on_any_key(statement: dict[str, Any]) -> bool:
    for resource in as_list(statement.get("Resource", [])):
        if resource == "*" or resource.split(":", 5)[-1] in ("*", "key/*"):
            return True
    return False


# --- the rules --------------------------------------------------------------------------


def role_writes_without_boundary(doc: Document) -> list[str]:
    bad = []
    for st in doc.statements:
        granted = [a for a in ROLE_WRITES if allows(st, a)]
        if not granted:
            continue
        values = condition_values(st, "iam:PermissionsBoundary")
        exact = {op: v for op, v in values.items() if op in ("StringEquals", "ArnEquals")}
        if not any(v == [BOUNDARY_ARN] for v in exact.values()):
            bad.append(f"{doc.label} {st.get('Sid')}: {granted} without the boundary")
    return bad


def boundary_or_policy_version_writes(doc: Document) -> list[str]:
    return [
        f"{doc.label} {st.get('Sid')}: {a}"
        for st in doc.statements
        for a in BOUNDARY_WRITES
        if allows(st, a)
    ]


def kms_management_or_decrypt_on_any_key(doc: Document) -> list[str]:
    if doc.kind == "resource":
        return []  # a key policy's "*" is the key itself; see the key policy tests
    bad = []
    for st in doc.statements:
        if not on_any_key(st):
            continue
        managed = [a for a in KMS_MANAGEMENT if allows(st, a)]
        decrypts = [a for a in KMS_DECRYPT if allows(st, a)]
        if decrypts and condition_values(st, "kms:ViaService"):
            decrypts = []
        if managed or decrypts:
            bad.append(f"{doc.label} {st.get('Sid')}: {managed + decrypts} on any key")
    return bad


def subscribe_without_endpoint_and_protocol(doc: Document) -> list[str]:
    return [
        f"{doc.label} {st.get('Sid')}: sns:Subscribe"
        for st in doc.statements
        if allows(st, "sns:Subscribe")
        and not (condition_values(st, "sns:Endpoint") and condition_values(st, "sns:Protocol"))
    ]


def ci_reads_message_bodies(doc: Document) -> list[str]:
    if not doc.template.startswith("deployer-role-stack") or doc.kind != "identity":
        return []
    bad = []
    for st in doc.statements:
        reads = [a for a in ITEM_READS if allows(st, a)]
        if not reads:
            continue
        listed = condition_values(st, "dynamodb:Attributes").get("ForAllValues:StringEquals")
        if listed is None or "message" in listed:
            bad.append(f"{doc.label} {st.get('Sid')}: {reads} may return message")
    return bad


Rule = Callable[[Document], list[str]]
RULES: dict[str, Rule] = {
    "role-writes-without-boundary": role_writes_without_boundary,
    "boundary-or-policy-version-writes": boundary_or_policy_version_writes,
    "kms-management-or-decrypt-on-any-key": kms_management_or_decrypt_on_any_key,
    "subscribe-without-endpoint-and-protocol": subscribe_without_endpoint_and_protocol,
    "ci-reads-message-bodies": ci_reads_message_bodies,
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_no_policy_in_cft_breaks_the_rule(rule: str) -> None:
    assert DOCUMENTS, "no policy documents found"
    assert [v for doc in DOCUMENTS for v in RULES[rule](doc)] == []


# --- each rule catches what it exists for ---------------------------------------------------

ROLES = "arn:aws:iam::111122223333:role/disa/dev/*"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/*"
TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/disa-dev-messages"
TOPIC = "arn:aws:sns:eu-west-1:111122223333:disa-dev-messages"


def statement(action: Any, resource: Any, condition: dict[str, Any] | None = None) -> Any:
    found = {"Sid": "Case", "Effect": "Allow", "Action": action, "Resource": resource}
    return {**found, "Condition": condition} if condition else found


def boundary(operator: str = "ArnEquals", arn: str = BOUNDARY_ARN) -> dict[str, Any]:
    return {operator: {"iam:PermissionsBoundary": arn}}


ATTRIBUTES = "ForAllValues:StringEquals"
CASES = [
    ("role-writes-without-boundary", statement("iam:CreateRole", ROLES), True),
    ("role-writes-without-boundary", statement("iam:PutRolePolicy", ROLES), True),
    ("role-writes-without-boundary", statement("iam:AttachRolePolicy", ROLES), True),
    ("role-writes-without-boundary", statement("iam:*", ROLES), True),
    ("role-writes-without-boundary", statement("iam:Put*", ROLES, boundary()), False),
    ("role-writes-without-boundary", statement("iam:Put*", ROLES, boundary(arn="x")), True),
    ("role-writes-without-boundary", statement("iam:CreateRole", ROLES, boundary()), False),
    ("role-writes-without-boundary", statement("iam:GetRole", ROLES), False),
    (
        "boundary-or-policy-version-writes",
        statement("iam:DeleteRolePermissionsBoundary", "*"),
        True,
    ),
    ("boundary-or-policy-version-writes", statement("iam:CreatePolicyVersion", "*"), True),
    ("boundary-or-policy-version-writes", statement("iam:SetDefaultPolicyVersion", "*"), True),
    ("boundary-or-policy-version-writes", statement("iam:GetPolicyVersion", "*"), False),
    ("kms-management-or-decrypt-on-any-key", statement("kms:TagResource", "*"), True),
    ("kms-management-or-decrypt-on-any-key", statement("kms:PutKeyPolicy", KEY), True),
    ("kms-management-or-decrypt-on-any-key", statement("kms:CreateGrant", "*"), True),
    ("kms-management-or-decrypt-on-any-key", statement("kms:Decrypt", "*"), True),
    ("kms-management-or-decrypt-on-any-key", statement("kms:*", KEY), True),
    (
        "kms-management-or-decrypt-on-any-key",
        statement("kms:Decrypt", KEY, {"StringEquals": {"kms:ViaService": "s3.x"}}),
        False,
    ),
    ("kms-management-or-decrypt-on-any-key", statement("kms:Decrypt", KEY[:-1] + "k1"), False),
    ("subscribe-without-endpoint-and-protocol", statement("sns:Subscribe", TOPIC), True),
    (
        "subscribe-without-endpoint-and-protocol",
        statement("sns:Subscribe", TOPIC, {"StringEquals": {"sns:Protocol": "email"}}),
        True,
    ),
    (
        "subscribe-without-endpoint-and-protocol",
        statement(
            "sns:Subscribe", TOPIC, {"StringEquals": {"sns:Protocol": "email", "sns:Endpoint": "a"}}
        ),
        False,
    ),
    ("ci-reads-message-bodies", statement("dynamodb:Scan", TABLE), True),
    ("ci-reads-message-bodies", statement("dynamodb:Get*", TABLE), True),
    (
        "ci-reads-message-bodies",
        statement("dynamodb:GetItem", TABLE, {ATTRIBUTES: {"dynamodb:Attributes": ["message"]}}),
        True,
    ),
    (
        "ci-reads-message-bodies",
        statement("dynamodb:GetItem", TABLE, {ATTRIBUTES: {"dynamodb:Attributes": ["status"]}}),
        False,
    ),
]


@pytest.mark.parametrize(
    ("rule", "case", "caught"),
    [
        pytest.param(*c, id=f"{c[0]}-{'caught' if c[2] else 'allowed'}-{i}")
        for i, c in enumerate(CASES)
    ],
)
def test_the_rule_catches_the_statement_it_exists_for(
    rule: str, case: dict[str, Any], caught: bool
) -> None:
    doc = Document(
        "deployer-role-stack.yaml", "Case", "policy", "identity",
        {"Version": "2012-10-17", "Statement": [case]},
    )  # fmt: skip
    assert bool(RULES[rule](doc)) is caught


def test_every_rule_has_a_case_it_catches_and_one_it_allows() -> None:
    assert {(rule, caught) for rule, _, caught in CASES} == {
        (rule, caught) for rule in RULES for caught in (True, False)
    }


# --- the boundary ----------------------------------------------------------------------------

IAM_STACK = load_template(CFT / "nested-stacks" / "iam-role-stack.yaml")
ROOT_STACK = load_template(CFT / "disa-root-stack.yaml")
DISA_ROLES = sorted(k for k, v in IAM_STACK["Resources"].items() if v["Type"] == "AWS::IAM::Role")


def by_label(label: str) -> Document:
    (doc,) = [d for d in DOCUMENTS if d.label == label]
    return doc


def attached_to(role_id: str) -> list[dict[str, Any]]:
    """Statements of the deployer stack's managed policies attached to ``role_id``."""
    return [
        st
        for logical_id, res in DEPLOYER_STACK["Resources"].items()
        if {"Ref": role_id} in res.get("Properties", {}).get("Roles", [])
        for st in by_label(f"deployer-role-stack.yaml:{logical_id}:policy").statements
    ]


@pytest.mark.parametrize("role_id", DISA_ROLES)
def test_every_disa_role_carries_the_boundary(role_id: str) -> None:
    props = IAM_STACK["Resources"][role_id]["Properties"]
    assert props["PermissionsBoundary"] == {"Ref": "PermissionsBoundaryArn"}


def test_the_root_passes_down_the_boundary_the_deployer_stack_defines() -> None:
    value = ROOT_STACK["Resources"]["IamStack"]["Properties"]["Parameters"]
    assert Resolver(ROOT_STACK).resolve(value["PermissionsBoundaryArn"]) == BOUNDARY_ARN


def test_the_boundary_is_attached_to_no_role_and_grants_nothing_by_itself() -> None:
    props = DEPLOYER_STACK["Resources"]["ApplicationBoundary"]["Properties"]
    assert not {"Roles", "Users", "Groups"} & set(props)


def covered(action: str, resource: str, boundary: list[dict[str, Any]]) -> bool:
    return any(
        allows(st, action)
        and any(fnmatch.fnmatchcase(resource, r) for r in as_list(st["Resource"]))
        for st in boundary
    )


@pytest.mark.parametrize("role_id", DISA_ROLES)
def test_the_boundary_allows_every_call_the_disa_roles_need(role_id: str) -> None:
    boundary = by_label("deployer-role-stack.yaml:ApplicationBoundary:policy").statements
    missing = [
        (action, resource)
        for doc in DOCUMENTS
        if doc.template.endswith("iam-role-stack.yaml")
        and doc.resource == role_id
        and doc.kind == "identity"
        for st in doc.statements
        for action in as_list(st["Action"])
        for resource in as_list(st["Resource"])
        if not covered(action, resource, boundary)
    ]
    assert missing == []


def test_the_boundary_allows_no_iam_sts_or_key_management() -> None:
    boundary = by_label("deployer-role-stack.yaml:ApplicationBoundary:policy").statements
    actions = {a for st in boundary for a in as_list(st["Action"])}
    assert not [a for a in actions if a.split(":")[0] in ("iam", "sts")]
    assert {a for a in actions if a.startswith("kms:")} == {"kms:Decrypt", "kms:GenerateDataKey"}


def test_the_boundary_decrypts_only_this_environments_data_through_its_services() -> None:
    boundary = by_label("deployer-role-stack.yaml:ApplicationBoundary:policy").statements
    for st in boundary:
        if any(a.startswith("kms:") for a in as_list(st["Action"])):
            equals = st["Condition"]["StringEquals"]
            context = [k for k in equals if k.startswith("kms:EncryptionContext:")]
            assert equals["kms:ViaService"] and context, st["Sid"]
            assert all("disa-dev-" in equals[k] for k in context), st["Sid"]


# --- the CI roles ------------------------------------------------------------------------------

PLANNER_MAY = {
    "cloudformation:DescribeStacks",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStackResource",
    "cloudformation:DescribeStackResources",
    "cloudformation:ListStackResources",
    "cloudformation:GetTemplate",
    "cloudformation:GetTemplateSummary",
    "cloudformation:GetStackPolicy",
    "cloudformation:CreateChangeSet",
    "cloudformation:DescribeChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:ListChangeSets",
    "cloudformation:TagResource",
    "cloudformation:ValidateTemplate",
    "cloudformation:ListStacks",
    "s3:ListBucket",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetEncryptionConfiguration",
    "s3:GetObject",
    "s3:PutObject",
}


def test_the_planner_may_read_and_plan_but_never_execute_or_delete() -> None:
    allowed = {a for st in attached_to("PlannerRole") if st["Effect"] == "Allow"
               for a in as_list(st["Action"])}  # fmt: skip
    assert allowed == PLANNER_MAY


def test_the_planner_may_only_add_artifacts_that_are_not_there_yet() -> None:
    # A pull request can never replace an object a deploy uses (see also package's checksum).
    puts = [st for st in attached_to("PlannerRole") if allows(st, "s3:PutObject")]
    assert puts
    for st in puts:
        assert st["Condition"]["StringEquals"]["s3:if-none-match"] == "*"
        assert st["Condition"]["StringEquals"]["s3:x-amz-server-side-encryption"] == "aws:kms"


@pytest.mark.parametrize("role_id", ["DeployerRole", "PlannerRole"])
@pytest.mark.parametrize(
    ("sid", "actions"),
    [
        pytest.param(
            "NeverLoosenTheBoundary",
            {
                "iam:DeleteRolePermissionsBoundary",
                "iam:CreatePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "iam:DeletePolicyVersion",
                "iam:DeletePolicy",
            },
            id="boundary",
        ),  # fmt: skip
        pytest.param(
            "NeverChangeTheArtifactStoreOrTheCiStack",
            {
                "cloudformation:UpdateStack",
                "cloudformation:DeleteStack",
                "cloudformation:ExecuteChangeSet",
            },
            id="artifact-store",
        ),  # fmt: skip
    ],
)
def test_guardrails_deny_for_both_ci_roles(role_id: str, sid: str, actions: set[str]) -> None:
    (deny,) = [st for st in attached_to(role_id) if st.get("Sid") == sid]
    assert deny["Effect"] == "Deny"
    assert actions <= set(as_list(deny["Action"]))


def test_ci_may_not_change_the_stack_that_holds_its_own_roles() -> None:
    (deny,) = [
        st
        for st in attached_to("DeployerRole")
        if st.get("Sid") == "NeverChangeTheArtifactStoreOrTheCiStack"
    ]
    raw = DEPLOYER_STACK["Resources"]["GuardrailsPolicy"]["Properties"]["PolicyDocument"]
    (statement,) = [s for s in raw["Statement"] if s.get("Sid") == deny["Sid"]]
    assert any("${AWS::StackName}" in r["Fn::Sub"] for r in statement["Resource"])


def test_the_deployer_sets_termination_protection_of_this_envs_stacks_only() -> None:
    # `up` of a protected env turns it on; `destroy --force-protected` turns it off. Never on
    # the artifact store or the CI stack: the guardrail denies it there.
    action = "cloudformation:UpdateTerminationProtection"
    granted = [st for st in attached_to("DeployerRole") if st["Effect"] == "Allow"
               and allows(st, action)]  # fmt: skip
    assert granted
    for statement in granted:
        stacks = [r.split(":stack/")[1] for r in as_list(statement["Resource"])]
        assert stacks and all(s.startswith("disa-dev") for s in stacks), stacks
    (deny,) = [st for st in attached_to("DeployerRole")
               if st.get("Sid") == "NeverChangeTheArtifactStoreOrTheCiStack"]  # fmt: skip
    assert action in as_list(deny["Action"])
    assert not any(allows(st, action) for st in attached_to("PlannerRole"))


def test_the_deployer_subscribes_only_the_listed_e_mail_addresses() -> None:
    (subscribe,) = [st for st in attached_to("DeployerRole") if allows(st, "sns:Subscribe")]
    assert subscribe["Condition"]["StringEquals"]["sns:Protocol"] == "email"
    assert subscribe["Condition"]["StringEquals"]["sns:Endpoint"] == ["ops@example.org"]
    # ...and only when an administrator listed some: without, no Subscribe at all.
    raw = DEPLOYER_STACK["Resources"]["DataAndMessagingPolicy"]["Properties"]["PolicyDocument"]
    conditional = [st["Fn::If"] for st in raw["Statement"] if "Fn::If" in st]
    assert ["MaySubscribe", "SubscribeListedAddresses"] in [
        [c[0], c[1]["Sid"]] for c in conditional
    ]


# --- the key policy ------------------------------------------------------------------------------


def test_the_key_policy_names_exactly_the_ci_roles_the_deployer_stack_creates() -> None:
    resolver = Resolver(DEPLOYER_STACK)
    ci_roles = {resolver.get_att(r, "Arn") for r in ("DeployerRole", "PlannerRole")}
    key = by_label("artifact-store-stack.yaml:Key:policy")
    named = {
        arn
        for st in key.statements
        for arn in as_list(st["Principal"].get("AWS", []))
        if ":role/" in arn
    }
    assert named == ci_roles


def test_the_key_policy_gives_ci_no_key_management_and_decrypt_only_through_services() -> None:
    key = by_label("artifact-store-stack.yaml:Key:policy")
    for st in key.statements:
        principals = as_list(st["Principal"].get("AWS", []))
        if not any(":role/ci/" in p for p in principals):
            continue
        assert not [a for a in KMS_MANAGEMENT if allows(st, a) and a != "kms:CreateGrant"]
        if allows(st, "kms:CreateGrant"):
            assert st["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
        if allows(st, "kms:Decrypt") or allows(st, "kms:GenerateDataKey"):
            assert st["Condition"]["StringEquals"]["kms:ViaService"], st["Sid"]
