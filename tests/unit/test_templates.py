"""The CloudFormation templates, read as data: wiring, required properties, names, lint.

No AWS: templates are loaded with a SafeLoader that keeps intrinsic functions as dicts
(tests/support/cfn_yaml.py); cfn-lint runs through the product's own check (the one
`disa-deploy validate` and the gate run), over every template with the ASL inlined.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from support.cfn_yaml import CFT, ROOT, all_template_paths, load_template

NESTED = CFT / "nested-stacks"
PSEUDO_PARAMETERS = {"AWS::AccountId", "AWS::Partition", "AWS::Region"}
ROOT_STACK = CFT / "disa-root-stack.yaml"
ARTIFACT_STACK = CFT / "artifact-store-stack.yaml"
DEPLOYER_STACK = CFT / "deployer-role-stack.yaml"

CONTRACT_ROOT_PARAMETERS = {
    "Project",
    "Env",
    "KmsKeyArn",
    "ArtifactBucket",
    "SubscriberEmail",
    "OpsEmail",
    "RetrySchedule",
    "MaxAttempts",
    "PublishFailureThreshold",
    "ProtectStatefulResources",
    "LogRetentionDays",
    "WorkflowType",
}
NESTED_STACKS = {
    "DynamoDbStack": "dynamodb-stack.yaml",
    "SnsStack": "sns-stack.yaml",
    "IamStack": "iam-role-stack.yaml",
    "LambdaStack": "lambda-function-stack.yaml",
    "AlarmStack": "cw-custom-metric-alarm-stack.yaml",
}


def template(name: str) -> dict[str, Any]:
    path = NESTED / name if (NESTED / name).exists() else CFT / name
    return load_template(path)


def resources_of_type(tpl: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == type_name}


def one_resource(tpl: dict[str, Any], type_name: str) -> dict[str, Any]:
    found = list(resources_of_type(tpl, type_name).values())
    assert len(found) == 1, f"expected one {type_name}, found {len(found)}"
    return found[0]["Properties"]


def walk(node: Any) -> Any:
    """Every dict and list inside a template fragment, depth first."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def policy_statements(tpl: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement; a conditional one (``!If [Cond, statement, NoValue]``) as if present."""
    statements = []
    for node in walk(tpl["Resources"]):
        if isinstance(node, dict) and "Statement" in node and "Version" in node:
            for statement in node["Statement"]:
                statements.append(statement["Fn::If"][1] if "Fn::If" in statement else statement)
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- lint -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", all_template_paths(), ids=lambda p: p.name)
def test_cfn_lint_reports_nothing_not_even_informational(path: Path) -> None:
    # --include-checks I: e.g. I3011, an explicit DeletionPolicy on every stateful resource.
    matches = lint_file(path, config=ManualArgs(include_checks=["I"]))
    assert [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches] == []


def test_validate_reports_no_error_and_no_warning_on_any_template() -> None:
    from deployer.config.environment import DEFAULT_CONFIG_DIR, load_env_config
    from deployer.config.project import Project
    from deployer.ui.findings import render_finding
    from deployer.usecases.validate import validate

    report = validate(Project(ROOT), load_env_config(DEFAULT_CONFIG_DIR, "local"))

    assert [render_finding(f) for f in report.findings] == []
    assert set(report.templates) == {p.relative_to(ROOT).as_posix() for p in all_template_paths()}


def test_every_expected_template_exists() -> None:
    names = {p.relative_to(CFT).as_posix() for p in all_template_paths()}
    expected = {"disa-root-stack.yaml", "artifact-store-stack.yaml", "deployer-role-stack.yaml"}
    expected |= {f"nested-stacks/{name}" for name in NESTED_STACKS.values()}
    assert names == expected


# --- root wiring --------------------------------------------------------------------------


def test_root_declares_exactly_the_contract_parameters() -> None:
    assert set(template("disa-root-stack.yaml")["Parameters"]) == CONTRACT_ROOT_PARAMETERS


@pytest.mark.parametrize("logical_id", sorted(NESTED_STACKS))
def test_root_passes_every_declared_parameter_and_no_unknown_one(logical_id: str) -> None:
    root = template("disa-root-stack.yaml")
    props = root["Resources"][logical_id]["Properties"]
    assert props["TemplateURL"] == f"nested-stacks/{NESTED_STACKS[logical_id]}"
    declared = set(template(NESTED_STACKS[logical_id])["Parameters"])
    assert set(props["Parameters"]) == declared


@pytest.mark.parametrize("logical_id", sorted(NESTED_STACKS))
def test_nested_values_flow_from_root_parameters_or_nested_outputs(logical_id: str) -> None:
    root = template("disa-root-stack.yaml")
    for name, value in root["Resources"][logical_id]["Properties"]["Parameters"].items():
        if isinstance(value, str):  # a literal, e.g. the metric namespace
            continue
        if "Ref" in value:
            assert value["Ref"] in root["Parameters"], name
            continue
        if "Fn::Sub" in value:  # built from root parameters and pseudo parameters only
            names = set(re.findall(r"\$\{([^}]+)\}", value["Fn::Sub"]))
            assert names <= set(root["Parameters"]) | PSEUDO_PARAMETERS, name
            continue
        stack, outputs, output = value["Fn::GetAtt"][0], *value["Fn::GetAtt"][1].split(".")
        assert outputs == "Outputs", name
        assert output in template(NESTED_STACKS[stack])["Outputs"], f"{name}: {stack}.{output}"


def test_nested_stacks_are_ordered_data_then_iam_then_lambda_then_alarms() -> None:
    root = template("disa-root-stack.yaml")["Resources"]

    def depends_on(logical_id: str) -> set[str]:
        return {
            node["Fn::GetAtt"][0]
            for node in walk(root[logical_id])
            if isinstance(node, dict) and "Fn::GetAtt" in node
        }

    assert depends_on("DynamoDbStack") == set()
    assert depends_on("SnsStack") == set()
    assert depends_on("IamStack") == {"DynamoDbStack", "SnsStack"}
    assert depends_on("LambdaStack") == {"DynamoDbStack", "SnsStack", "IamStack"}
    assert "LambdaStack" in depends_on("AlarmStack")


def test_no_account_region_or_email_is_hard_coded() -> None:
    for path in all_template_paths():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b\d{12}\b", text), path.name
        assert not re.search(r"\b(us|eu|ap|sa|ca|me|af)-[a-z]+-\d\b", text), path.name
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), path.name


@pytest.mark.parametrize(
    "path",
    [*all_template_paths(), ROOT / "state-machine" / "state-machine.json"],
    ids=lambda p: p.name,
)
def test_no_partition_is_hard_coded(path: Path) -> None:
    # aws-cn and aws-us-gov accounts deploy the same files: every ARN names the partition
    # through ${AWS::Partition} (or, in the ASL, a substitution built from it).
    assert "arn:aws:" not in path.read_text(encoding="utf-8"), path.name


# --- names ------------------------------------------------------------------------------

NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Events::Rule": "Name",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::KMS::Alias": "AliasName",
}


def named_resources() -> list[Any]:
    rows = []
    for path in all_template_paths():
        for logical_id, res in load_template(path)["Resources"].items():
            prop = NAME_PROPERTIES.get(res["Type"])
            if prop:
                rows.append(pytest.param(res, prop, id=f"{path.stem}-{logical_id}"))
    return rows


@pytest.mark.parametrize(("resource", "prop"), named_resources())
def test_every_physical_name_carries_project_and_env(resource: dict[str, Any], prop: str) -> None:
    name = resource["Properties"][prop]
    assert isinstance(name, dict) and "Fn::Sub" in name, name
    assert "${Project}-${Env}" in name["Fn::Sub"] or "${Project}/${Env}" in name["Fn::Sub"]


CONTRACT_NAMES = [
    ("table", "dynamodb-stack.yaml", "MessagesTable", "-messages"),
    ("topic", "sns-stack.yaml", "MessagesTopic", "-messages"),
    ("ops-topic", "sns-stack.yaml", "OpsTopic", "-ops"),
    ("init-function", "lambda-function-stack.yaml", "InitProcessFunction", "-init-process"),
    ("process-function", "lambda-function-stack.yaml", "ProcessFunction", "-process"),
    ("retry-function", "lambda-function-stack.yaml", "RetryFunction", "-retry"),
    ("state-machine", "lambda-function-stack.yaml", "StateMachine", "-state-machine"),
    ("stream-dlq", "lambda-function-stack.yaml", "StreamDlq", "-stream-dlq"),
    ("subscription-dlq", "sns-stack.yaml", "SubscriptionDlq", "-subscription-dlq"),
    ("schedule", "lambda-function-stack.yaml", "RetryScheduleRule", "-retry-schedule"),
    (
        "circuit-alarm",
        "cw-custom-metric-alarm-stack.yaml",
        "PublishFailuresAlarm",
        "-publish-failures",
    ),
    ("dlq-alarm", "cw-custom-metric-alarm-stack.yaml", "StreamDlqDepthAlarm", "-stream-dlq-depth"),
    (
        "subscription-dlq-alarm",
        "cw-custom-metric-alarm-stack.yaml",
        "SubscriptionDlqDepthAlarm",
        "-subscription-dlq-depth",
    ),
    (
        "iterator-alarm",
        "cw-custom-metric-alarm-stack.yaml",
        "StreamIteratorAgeAlarm",
        "-stream-iterator-age",
    ),
    (
        "executions-alarm",
        "cw-custom-metric-alarm-stack.yaml",
        "FailedExecutionsAlarm",
        "-failed-executions",
    ),
]


@pytest.mark.parametrize(
    ("file", "logical_id", "suffix"),
    [pytest.param(*row[1:], id=row[0]) for row in CONTRACT_NAMES],
)
def test_physical_names_follow_the_contract(file: str, logical_id: str, suffix: str) -> None:
    res = template(file)["Resources"][logical_id]
    prop = NAME_PROPERTIES[res["Type"]]
    assert res["Properties"][prop] == {"Fn::Sub": "${Project}-${Env}" + suffix}


# An env or project name is lower-case letters and digits: with no "-" in either part, the
# pattern <project>-<env>-* of one environment can never match another's names (dev vs dev-2).
NAME_PART = "^[a-z][a-z0-9]*$"
NAME_PART_LIMITS = {"Project": 12, "Env": 10}


@pytest.mark.parametrize("path", all_template_paths(), ids=lambda p: p.name)
@pytest.mark.parametrize("parameter", sorted(NAME_PART_LIMITS))
def test_every_template_takes_project_and_env_by_the_same_rule(path: Path, parameter: str) -> None:
    spec = load_template(path)["Parameters"][parameter]
    assert spec["AllowedPattern"] == NAME_PART
    assert spec["MaxLength"] == NAME_PART_LIMITS[parameter]
    assert "'-'" in spec["ConstraintDescription"]


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        pytest.param("dev", True, id="plain"),
        pytest.param("prod2", True, id="digits"),
        pytest.param("dev-2", False, id="dash-would-match-dev-patterns"),
        pytest.param("Dev", False, id="upper-case"),
        pytest.param("2dev", False, id="leading-digit"),
        pytest.param("", False, id="empty"),
    ],
)
def test_the_name_rule(name: str, accepted: bool) -> None:
    assert bool(re.fullmatch(NAME_PART, name)) is accepted


def test_shipped_environments_and_the_default_project_follow_the_rule() -> None:
    envs = sorted(p.stem for p in (ROOT / "deployer" / "environments").glob("*.yaml"))
    assert envs == ["dev", "local", "prod"]
    for env in envs:
        assert re.fullmatch(NAME_PART, env) and len(env) <= NAME_PART_LIMITS["Env"], env
    default = template("disa-root-stack.yaml")["Parameters"]["Project"]["Default"]
    assert re.fullmatch(NAME_PART, default) and len(default) <= NAME_PART_LIMITS["Project"]


# --- deletion and replacement policies ----------------------------------------------------

EXPLICIT_POLICIES = [
    pytest.param("disa-root-stack.yaml", "AWS::CloudFormation::Stack", "Delete", id="nested"),
    pytest.param("lambda-function-stack.yaml", "AWS::Logs::LogGroup", "Delete", id="log-groups"),
    pytest.param("lambda-function-stack.yaml", "AWS::SQS::Queue", "Delete", id="stream-dlq"),
    pytest.param("sns-stack.yaml", "AWS::SQS::Queue", "Delete", id="subscription-dlq"),
]


@pytest.mark.parametrize(("file", "type_name", "policy"), EXPLICIT_POLICIES)
def test_deletion_and_replacement_policies_are_explicit(
    file: str, type_name: str, policy: str
) -> None:
    # Fixed names: a retained log group or queue would make the next create of the env fail
    # on "already exists", so they go with the stack, and say so.
    found = resources_of_type(template(file), type_name)
    assert found
    for logical_id, res in found.items():
        assert (res.get("DeletionPolicy"), res.get("UpdateReplacePolicy")) == (policy, policy), (
            logical_id
        )


# --- table ------------------------------------------------------------------------------


def test_table_is_on_demand_encrypted_recoverable_and_streams_new_images() -> None:
    res = template("dynamodb-stack.yaml")["Resources"]["MessagesTable"]
    props = res["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Ref": "KmsKeyArn"},
    }
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_table_is_retained_except_on_a_failed_create_and_protected_by_condition() -> None:
    tpl = template("dynamodb-stack.yaml")
    res = tpl["Resources"]["MessagesTable"]
    # Retain, except that the rollback of the create that made it deletes it, so a retried
    # first `up` does not meet "already exists".
    assert res["DeletionPolicy"] == "RetainExceptOnCreate"
    assert res["UpdateReplacePolicy"] == "Retain"
    assert res["Properties"]["DeletionProtectionEnabled"] == {"Fn::If": ["Protect", True, False]}
    assert tpl["Conditions"]["Protect"] == {
        "Fn::Equals": [{"Ref": "ProtectStatefulResources"}, "true"]
    }


def test_retry_index_is_sparse_with_the_contract_keys() -> None:
    from disa_common import model

    props = template("dynamodb-stack.yaml")["Resources"]["MessagesTable"]["Properties"]
    (index,) = props["GlobalSecondaryIndexes"]
    assert index["IndexName"] == model.RETRY_INDEX
    assert index["KeySchema"] == [
        {"AttributeName": model.RETRY_SHARD, "KeyType": "HASH"},
        {"AttributeName": model.NEXT_ATTEMPT_AT, "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": [model.RUN, model.ATTEMPTS],
    }
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert types == {model.KEY: "S", model.RETRY_SHARD: "S", model.NEXT_ATTEMPT_AT: "N"}


# --- functions, mapping, schedule ---------------------------------------------------------

COMMON_ENV = {"TABLE_NAME", "METRIC_NAMESPACE", "ENVIRONMENT", "LOG_LEVEL"}
FUNCTIONS = [
    pytest.param(
        "InitProcessFunction",
        "disa_init_process",
        COMMON_ENV
        | {
            "STATE_MACHINE_ARN",
            "RETRY_SHARDS",
            "RETRY_BASE_SECONDS",
            "RETRY_MAX_SECONDS",
            "START_CONCURRENCY",
        },
        id="init-process",
    ),
    pytest.param(
        "ProcessFunction",
        "disa_process",
        # RETRY_SHARDS: the claim's lease puts the item in its retry-index shard.
        COMMON_ENV | {"TOPIC_ARN", "CIRCUIT_ALARM_NAME", "ALARM_CACHE_SECONDS", "RETRY_SHARDS"},
        id="process",
    ),
    pytest.param(
        "RetryFunction",
        "disa_retry",
        COMMON_ENV
        | {
            "STATE_MACHINE_ARN",
            "RETRY_SHARDS",
            "RETRY_BASE_SECONDS",
            "RETRY_MAX_SECONDS",
            "MAX_ATTEMPTS",
            "RETRY_CONCURRENCY",
            "DEADLINE_MARGIN_SECONDS",
        },
        id="retry",
    ),
]


@pytest.mark.parametrize(("logical_id", "package", "env_vars"), FUNCTIONS)
def test_function_configuration(logical_id: str, package: str, env_vars: set[str]) -> None:
    res = template("lambda-function-stack.yaml")["Resources"][logical_id]
    props = res["Properties"]
    assert props["Handler"] == f"{package}.handler.lambda_handler"
    assert props["Runtime"] in {"python3.12", "python3.13"}
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["KmsKeyArn"] == {"Ref": "KmsKeyArn"}
    assert 128 <= props["MemorySize"] <= 1024
    assert 1 <= props["Timeout"] <= 900
    assert set(props["Environment"]["Variables"]) == env_vars
    assert all(isinstance(v, (str, dict)) for v in props["Environment"]["Variables"].values()), (
        "environment values must be strings"
    )
    # Local path the packager zips: relative to the template file, and it must exist.
    assert props["Code"] == {
        "S3Bucket": {"Ref": "ArtifactBucket"},
        "S3Key": f"../../code/python/{package}",
    }
    assert (NESTED / props["Code"]["S3Key"]).resolve() == ROOT / "code" / "python" / package


@pytest.mark.parametrize(("logical_id", "package", "env_vars"), FUNCTIONS)
def test_function_has_its_own_encrypted_log_group_with_retention(
    logical_id: str, package: str, env_vars: set[str]
) -> None:
    resources = template("lambda-function-stack.yaml")["Resources"]
    function = resources[logical_id]
    (group_id,) = as_list(function["DependsOn"])
    group = resources[group_id]["Properties"]
    name = function["Properties"]["FunctionName"]["Fn::Sub"]
    assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{name}"}
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert group["KmsKeyId"] == {"Ref": "KmsKeyArn"}


def test_circuit_alarm_name_given_to_process_is_the_alarm_the_breaker_reads() -> None:
    env = template("lambda-function-stack.yaml")["Resources"]["ProcessFunction"]["Properties"][
        "Environment"
    ]["Variables"]
    alarm = template("cw-custom-metric-alarm-stack.yaml")["Resources"]["PublishFailuresAlarm"]
    assert env["CIRCUIT_ALARM_NAME"] == alarm["Properties"]["AlarmName"]


def test_stream_mapping_properties() -> None:
    props = one_resource(template("lambda-function-stack.yaml"), "AWS::Lambda::EventSourceMapping")
    assert props["FunctionName"] == {"Ref": "InitProcessFunction"}
    assert props["EventSourceArn"] == {"Ref": "TableStreamArn"}
    assert props["StartingPosition"] == "TRIM_HORIZON"
    (only,) = props["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"NewImage": {"status": {"S": [{"exists": False}]}}},
    }
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 <= props["MaximumRetryAttempts"] <= 10
    assert 60 <= props["MaximumRecordAgeInSeconds"] <= 24 * 3600
    assert props["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["StreamDlq", "Arn"]}}
    }


def test_stream_dlq_is_encrypted_with_the_key_and_tls_only() -> None:
    tpl = template("lambda-function-stack.yaml")
    assert one_resource(tpl, "AWS::SQS::Queue")["KmsMasterKeyId"] == {"Ref": "KmsKeyArn"}
    (deny,) = one_resource(tpl, "AWS::SQS::QueuePolicy")["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_retry_schedule_comes_from_the_parameter_and_may_invoke_retry_only() -> None:
    tpl = template("lambda-function-stack.yaml")
    rule = one_resource(tpl, "AWS::Events::Rule")
    assert rule["ScheduleExpression"] == {"Ref": "RetrySchedule"}
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": ["RetryFunction", "Arn"]}]
    permission = one_resource(tpl, "AWS::Lambda::Permission")
    assert permission["FunctionName"] == {"Ref": "RetryFunction"}
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["RetryScheduleRule", "Arn"]}
    retry_env = tpl["Resources"]["RetryFunction"]["Properties"]["Environment"]["Variables"]
    assert retry_env["MAX_ATTEMPTS"] == {"Ref": "MaxAttempts"}


def test_state_machine_logs_errors_without_data_and_is_traced() -> None:
    props = one_resource(template("lambda-function-stack.yaml"), "AWS::StepFunctions::StateMachine")
    # The root's WorkflowType picks the type; either logs the same way (ERROR, no data).
    assert props["StateMachineType"] == {"Ref": "WorkflowType"}
    parameter = template("lambda-function-stack.yaml")["Parameters"]["WorkflowType"]
    root = template("disa-root-stack.yaml")["Parameters"]["WorkflowType"]
    assert parameter["AllowedValues"] == root["AllowedValues"] == ["STANDARD", "EXPRESS"]
    assert parameter["Default"] == root["Default"] == "STANDARD"
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ERROR"
    assert logging["IncludeExecutionData"] is False
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["DefinitionS3Location"] == {
        "Bucket": {"Ref": "ArtifactBucket"},
        "Key": "../../state-machine/state-machine.json",
    }
    key = props["DefinitionS3Location"]["Key"]
    assert (NESTED / key).resolve() == ROOT / "state-machine" / "state-machine.json"


# --- topics and alarms --------------------------------------------------------------------


@pytest.mark.parametrize("logical_id", ["MessagesTopic", "OpsTopic"])
def test_topic_is_encrypted_and_tls_only(logical_id: str) -> None:
    tpl = template("sns-stack.yaml")
    assert tpl["Resources"][logical_id]["Properties"]["KmsMasterKeyId"] == {"Ref": "KmsKeyArn"}
    policies = [
        r["Properties"]
        for r in resources_of_type(tpl, "AWS::SNS::TopicPolicy").values()
        if r["Properties"]["Topics"] == [{"Ref": logical_id}]
    ]
    (policy,) = policies
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert [d["Condition"] for d in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]


@pytest.mark.parametrize(
    ("logical_id", "parameter"),
    [
        pytest.param("MessagesSubscription", "SubscriberEmail", id="subscriber"),
        pytest.param("OpsSubscription", "OpsEmail", id="ops"),
    ],
)
def test_email_subscription_exists_only_when_the_parameter_is_set(
    logical_id: str, parameter: str
) -> None:
    tpl = template("sns-stack.yaml")
    res = tpl["Resources"][logical_id]
    assert res["Properties"]["Endpoint"] == {"Ref": parameter}
    assert tpl["Parameters"][parameter]["Default"] == ""
    assert tpl["Conditions"][res["Condition"]] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]
    }


@pytest.mark.parametrize("logical_id", ["MessagesSubscription", "OpsSubscription"])
def test_undeliverable_messages_go_to_the_subscription_dlq(logical_id: str) -> None:
    # Without a redrive policy SNS drops a message once its delivery retries are spent,
    # while the item already says Successful.
    props = template("sns-stack.yaml")["Resources"][logical_id]["Properties"]
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["SubscriptionDlq", "Arn"]}
    }


def test_subscription_dlq_is_encrypted_tls_only_and_open_to_this_envs_topics_only() -> None:
    tpl = template("sns-stack.yaml")
    queue = tpl["Resources"]["SubscriptionDlq"]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Ref": "KmsKeyArn"}
    assert queue["MessageRetentionPeriod"] == 1209600
    (policy,) = resources_of_type(tpl, "AWS::SQS::QueuePolicy").values()
    assert policy["Properties"]["Queues"] == [{"Ref": "SubscriptionDlq"}]
    deny, allow = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Resource"] == {"Fn::GetAtt": ["SubscriptionDlq", "Arn"]}
    assert allow["Condition"] == {
        "ArnEquals": {"aws:SourceArn": [{"Ref": "MessagesTopic"}, {"Ref": "OpsTopic"}]}
    }


def test_the_key_lets_sns_into_the_subscription_dlq_only() -> None:
    key = template("artifact-store-stack.yaml")["Resources"]["Key"]["Properties"]
    (statement,) = [
        s
        for s in key["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "sns.amazonaws.com"}
    ]
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Condition"] == {
        "StringEquals": {
            "kms:EncryptionContext:aws:sqs:arn": {
                "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}"
                ":${Project}-${Env}-subscription-dlq"
            }
        }
    }


def test_subscription_dlq_depth_alarm_watches_the_queue_the_sns_stack_outputs() -> None:
    root = template("disa-root-stack.yaml")["Resources"]["AlarmStack"]["Properties"]
    assert root["Parameters"]["SubscriptionDlqName"] == {
        "Fn::GetAtt": ["SnsStack", "Outputs.SubscriptionDlqName"]
    }
    alarm = template("cw-custom-metric-alarm-stack.yaml")["Resources"]["SubscriptionDlqDepthAlarm"]
    props = alarm["Properties"]
    assert (props["Namespace"], props["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert props["Dimensions"] == [{"Name": "QueueName", "Value": {"Ref": "SubscriptionDlqName"}}]
    assert (props["Threshold"], props["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


def test_every_alarm_notifies_the_ops_topic() -> None:
    alarms = resources_of_type(
        template("cw-custom-metric-alarm-stack.yaml"), "AWS::CloudWatch::Alarm"
    )
    assert len(alarms) == 5
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "OpsTopicArn"}], logical_id


def test_circuit_alarm_watches_the_publish_failure_metric_and_closes_on_missing_data() -> None:
    props = template("cw-custom-metric-alarm-stack.yaml")["Resources"]["PublishFailuresAlarm"][
        "Properties"
    ]
    assert props["MetricName"] == "PublishFailures"
    assert props["Namespace"] == {"Ref": "MetricNamespace"}
    assert props["Dimensions"] == [{"Name": "Environment", "Value": {"Ref": "Env"}}]
    assert props["Threshold"] == {"Ref": "PublishFailureThreshold"}
    assert props["TreatMissingData"] == "notBreaching"


# --- key and bucket -----------------------------------------------------------------------


def test_key_rotates_is_retained_and_its_policy_is_scoped() -> None:
    key = template("artifact-store-stack.yaml")["Resources"]["Key"]
    assert key["DeletionPolicy"] == "RetainExceptOnCreate"
    assert key["UpdateReplacePolicy"] == "Retain"
    props = key["Properties"]
    assert props["EnableKeyRotation"] is True
    statements = {s["Sid"]: s for s in props["KeyPolicy"]["Statement"]}
    account = statements["AccountAdministersThroughIam"]["Principal"]
    assert account == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    for statement in statements.values():
        assert statement["Principal"] != "*"
        assert statement["Effect"] == "Allow"
        if statement["Sid"] not in ("AccountAdministersThroughIam", "DeployerDescribesKey"):
            assert "Condition" in statement, statement["Sid"]
    logs = statements["CloudWatchLogsForThisEnvironment"]
    assert "kms:EncryptionContext:aws:logs:arn" in logs["Condition"]["ArnLike"]
    alarms = statements["CloudWatchAlarmsForThisEnvironment"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "aws:SourceArn" in alarms["Condition"]["ArnLike"]


def test_artifact_bucket_is_private_encrypted_versioned_and_tls_only() -> None:
    tpl = template("artifact-store-stack.yaml")
    props = one_resource(tpl, "AWS::S3::Bucket")
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (sse,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]},
    }
    assert sse["BucketKeyEnabled"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and "NoncurrentVersionExpiration" in rule
    (deny,) = one_resource(tpl, "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_artifact_stack_outputs_what_the_deployer_reads() -> None:
    assert set(template("artifact-store-stack.yaml")["Outputs"]) == {"KeyArn", "BucketName"}


# --- security rules across every template --------------------------------------------------

# Actions IAM cannot scope to a resource; the only ones allowed with Resource "*".
UNSCOPABLE = re.compile(
    r"^(xray:.*|logs:(Create|Get|Update|Delete|List)LogDeliver(y|ies)|logs:PutResourcePolicy"
    r"|logs:Describe(ResourcePolicies|LogGroups)|dynamodb:List(Streams|Tables)"
    r"|cloudformation:(ValidateTemplate|ListStacks)|s3:ListAllMyBuckets|kms:List(Aliases|Keys)"
    r"|sns:List(Topics|Subscriptions)|sqs:ListQueues|lambda:List(Functions|EventSourceMappings)"
    r"|sns:(GetSubscriptionAttributes|SetSubscriptionAttributes|Unsubscribe)|states:ListStateMachines|events:ListRules)$"
)


@pytest.mark.parametrize("path", all_template_paths(), ids=lambda p: p.name)
def test_no_allow_statement_has_a_wildcard_action(path: Path) -> None:
    for statement in policy_statements(load_template(path)):
        if statement["Effect"] != "Allow":
            continue
        for action in as_list(statement["Action"]):
            if statement.get("Sid") == "AccountAdministersThroughIam":
                continue  # the key policy's delegation to IAM (tested above)
            assert "*" not in action, f"{path.name} {statement.get('Sid')}: {action}"


@pytest.mark.parametrize("path", all_template_paths(), ids=lambda p: p.name)
def test_wildcard_resources_only_where_iam_offers_no_scoping(path: Path) -> None:
    for statement in policy_statements(load_template(path)):
        if statement["Effect"] != "Allow" or as_list(statement.get("Resource")) != ["*"]:
            continue
        if "Principal" in statement:
            continue  # a key policy's "*" means "this key"
        if "Condition" in statement:
            continue  # scoped by request tags or the function ARN instead
        unscoped = [a for a in as_list(statement["Action"]) if not UNSCOPABLE.match(a)]
        assert unscoped == [], f"{path.name} {statement.get('Sid')}"


@pytest.mark.parametrize("path", all_template_paths(), ids=lambda p: p.name)
def test_no_managed_policy_is_attached_to_a_role(path: Path) -> None:
    for res in resources_of_type(load_template(path), "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in res["Properties"]


@pytest.mark.parametrize("path", all_template_paths(), ids=lambda p: p.name)
def test_every_checkov_skip_carries_its_reason(path: Path) -> None:
    for logical_id, res in load_template(path)["Resources"].items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), logical_id
            assert len(skip.get("comment", "")) > 20, f"{logical_id} {skip['id']}"


def oidc_subjects(role_id: str) -> list[str]:
    role = template("deployer-role-stack.yaml")["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = trust["Condition"]["StringEquals"]
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    subjects = as_list(condition["token.actions.githubusercontent.com:sub"])
    return [s["Fn::Sub"][0] if isinstance(s["Fn::Sub"], list) else s["Fn::Sub"] for s in subjects]


def test_deployer_role_trusts_only_this_repository_and_environment_through_oidc() -> None:
    # The GitHub environment's branch rule and reviewers are what gate a deploy.
    assert oidc_subjects("DeployerRole") == ["repo:${GitHubRepository}:environment:${GitHubEnv}"]


def test_planner_role_trusts_pull_requests_and_main_of_this_repository_only() -> None:
    assert oidc_subjects("PlannerRole") == [
        "repo:${GitHubRepository}:pull_request",
        "repo:${GitHubRepository}:ref:refs/heads/main",
    ]


@pytest.mark.parametrize("role_id", ["DeployerRole", "PlannerRole"])
def test_ci_roles_live_outside_the_application_path_they_may_edit(role_id: str) -> None:
    # Outside the application roles' path, so neither can edit or pass itself.
    tpl = template("deployer-role-stack.yaml")
    assert tpl["Resources"][role_id]["Properties"]["Path"] == "/ci/"
    for statement in policy_statements(tpl):
        if statement["Effect"] != "Allow":
            continue
        for resource in as_list(statement.get("Resource", [])):
            if isinstance(resource, dict) and ":role/" in resource.get("Fn::Sub", ""):
                assert resource["Fn::Sub"].endswith(":role/${Project}/${Env}/*")


# --- limits and the deployer's permissions real AWS enforces --------------------------------

# Longest values the name parts can take: parameters by their MaxLength, the longest region
# name in use (ap-southeast-5, ap-northeast-3, ...) and a 12-digit account id.
LONGEST_REGION = "ap-southeast-5"
NAME_LIMITS = {
    "AWS::DynamoDB::Table": 255,
    "AWS::SNS::Topic": 256,
    "AWS::Lambda::Function": 64,
    "AWS::StepFunctions::StateMachine": 80,
    "AWS::SQS::Queue": 80,
    "AWS::Events::Rule": 64,
    "AWS::CloudWatch::Alarm": 255,
    "AWS::IAM::Role": 64,
    "AWS::IAM::ManagedPolicy": 128,
    "AWS::Logs::LogGroup": 512,
    "AWS::S3::Bucket": 63,
    "AWS::KMS::Alias": 256,
}


def longest_name(tpl: dict[str, Any], sub: str) -> str:
    values = {"AWS::Region": LONGEST_REGION, "AWS::AccountId": "1" * 12}
    for name in ("Project", "Env"):
        max_length = tpl["Parameters"][name].get("MaxLength")
        assert max_length, f"{name} needs a MaxLength so names stay within AWS limits"
        values[name] = "a" * int(max_length)

    def fill(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return re.sub(r"\$\{([^}]+)\}", fill, sub)


@pytest.mark.parametrize(("resource", "prop"), named_resources())
def test_longest_physical_name_fits_the_aws_limit(resource: dict[str, Any], prop: str) -> None:
    path = next(
        p for p in all_template_paths() if resource in load_template(p)["Resources"].values()
    )
    name = longest_name(load_template(path), resource["Properties"][prop]["Fn::Sub"])
    assert len(name) <= NAME_LIMITS[resource["Type"]], name
    if resource["Type"] == "AWS::S3::Bucket":
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name), name


def attached_statements(role_id: str) -> list[dict[str, Any]]:
    """The statements of the managed policies attached to a role of the deployer stack."""
    tpl = template("deployer-role-stack.yaml")
    policies = [
        r
        for r in resources_of_type(tpl, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in r["Properties"].get("Roles", [])
    ]
    return policy_statements({"Resources": {str(i): p for i, p in enumerate(policies)}})


def deployer_statements() -> list[dict[str, Any]]:
    return attached_statements("DeployerRole")


def granting(action: str) -> list[dict[str, Any]]:
    return [
        s
        for s in deployer_statements()
        if s["Effect"] == "Allow" and action in as_list(s["Action"])
    ]


@pytest.mark.parametrize("role_id", ["DeployerRole", "PlannerRole"])
def test_ci_roles_hold_no_kms_permission_of_their_own(role_id: str) -> None:
    # The key policy grants them what they need by ARN: nothing here can reach another key,
    # and nothing waits for tags to propagate.
    allowed = [
        a
        for s in attached_statements(role_id)
        if s["Effect"] == "Allow"
        for a in as_list(s["Action"])
    ]
    assert [a for a in allowed if a.startswith("kms:")] == []


def test_stacks_may_be_tagged_only_while_being_created() -> None:
    (statement,) = granting("cloudformation:TagResource")
    assert statement["Condition"] == {
        "StringEquals": {"cloudformation:CreateAction": ["CreateStack", "CreateChangeSet"]}
    }


def test_deployer_may_read_and_tag_the_stream_mapping_it_creates() -> None:
    # Stack tags propagate to AWS::Lambda::EventSourceMapping: creating it calls
    # lambda:TagResource on the mapping's own ARN, and the handler reads it back.
    for action in ("lambda:TagResource", "lambda:GetEventSourceMapping"):
        resources = [r for s in granting(action) for r in as_list(s["Resource"])]
        assert any(
            isinstance(r, dict) and r["Fn::Sub"].endswith(":event-source-mapping:*")
            for r in resources
        ), action


def _handler_schema(type_name: str) -> dict[str, Any]:
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    return json.loads((schemas / "resources" / f"{index[type_name]}.json").read_text("utf-8"))


def deployed_types() -> list[str]:
    # The artifact store is an administrator's (its key policy grants the CI roles), so only
    # the root stack and its nested stacks are created with the deployer's permissions.
    names = ["disa-root-stack.yaml", *NESTED_STACKS.values()]
    return sorted({r["Type"] for n in names for r in template(n)["Resources"].values()})


@pytest.mark.parametrize("type_name", deployed_types())
def test_deployer_may_tag_every_taggable_resource_on_create(type_name: str) -> None:
    # disa-deploy always passes stack tags, and CloudFormation propagates them to every
    # taggable resource: the create handler then needs the type's tagging action.
    tagging = _handler_schema(type_name).get("tagging", {})
    if not tagging.get("taggable") or type_name == "AWS::CloudFormation::Stack":
        return
    tag_actions = [
        a for a in tagging.get("permissions", []) if re.search(r":(Tag|Put\w*Tagging)", a)
    ]
    assert tag_actions, type_name
    granted = {a for s in deployer_statements() for a in as_list(s["Action"])}
    assert any(a in granted for a in tag_actions), f"{type_name}: one of {tag_actions}"


@pytest.mark.parametrize(
    "action",
    [
        pytest.param("dynamodb:PutItem", id="send-writes-the-message-item"),
        pytest.param("dynamodb:GetItem", id="send-follows-the-item"),
        pytest.param("dynamodb:Scan", id="status-counts-items"),
    ],
)
def test_deployer_may_run_the_smoke_test_and_status_on_the_messages_table(action: str) -> None:
    # The CI job runs `up --smoke`; without these the deploy succeeds and the job fails.
    resources = [r for s in granting(action) for r in as_list(s["Resource"])]
    tables = [r["Fn::Sub"].rsplit(":", 1)[-1] for r in resources]
    # `items` also scans the table's sparse retry index (tests/unit/operate checks that).
    assert sorted({t for t in tables if "/index/" not in t}) == ["table/${Project}-${Env}-messages"]
