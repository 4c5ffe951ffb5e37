"""Patch 6 — the CloudFormation resource types DISA's templates use that moto lacks.

What moto lacks: ``AWS::CloudWatch::Alarm``, ``AWS::SNS::Subscription``,
``AWS::SNS::TopicPolicy``, ``AWS::S3::BucketPolicy`` and ``AWS::SQS::QueuePolicy`` have no
CloudFormation model (moto warns, skips them, and a ``!Ref`` to them is empty); and a change
to a DynamoDB table, KMS key, log group or Lambda permission replaces the resource in the
stack's map with nothing, because those models have no update handler.

What the patch does: adds small models that call the service backends (the alarm is really
created, so ``DescribeAlarms`` on the circuit-breaker alarm answers; subscriptions really
deliver; policies are stored, not enforced: moto would evaluate a bucket policy without its
Conditions, so "deny unless TLS" would deny every request), and gives the four types an
update handler that keeps the existing resource (logged: the emulator does not model
in-place changes to them).
``AWS::KMS::Key`` with ``Tags`` crashes moto (CloudFormation's Key/Value tags reach a tagger
that wants TagKey/TagValue); the patch converts them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from moto.cloudformation import parsing
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.iam.access_control import PermissionResult
from moto.kms.models import Key as KmsKey
from moto.s3.models import FakeBucket, s3_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from deployer.local.patches import replace_attribute

LOG = logging.getLogger("disa.local.cfn")
_ORIGINAL_KMS_CREATE = KmsKey.create_from_cloudformation_json
KEEP_ON_UPDATE = (
    "AWS::DynamoDB::Table",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::Lambda::Permission",
)


def _policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


class MetricAlarm(CloudFormationModel):
    def __init__(self, name: str, arn: str) -> None:
        self.name, self.arn = name, arn

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> MetricAlarm:
        p = cloudformation_json["Properties"]
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p.get("ComparisonOperator"),
            evaluation_periods=int(p.get("EvaluationPeriods", 1)),
            period=int(p.get("Period", 60)),
            threshold=float(p.get("Threshold", 0)),
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription", ""),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            datapoints_to_alarm=p.get("DatapointsToAlarm"),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            unit=p.get("Unit"),
            actions_enabled=str(p.get("ActionsEnabled", True)).lower() != "false",
            treat_missing_data=p.get("TreatMissingData"),
        )
        return cls(alarm.name, alarm.alarm_arn)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> MetricAlarm:
        cls.delete_from_cloudformation_json(
            original_resource.name, cloudformation_json, account_id, region_name
        )
        name = cloudformation_json["Properties"].get("AlarmName", original_resource.name)
        return cls.create_from_cloudformation_json(
            name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])


class TopicSubscription(CloudFormationModel):
    def __init__(self, arn: str) -> None:
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> TopicSubscription:
        p = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(p["TopicArn"], p["Endpoint"], p["Protocol"])
        for name in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery"):
            if name in p:
                value = p[name]
                text = json.dumps(value) if isinstance(value, dict) else str(value).lower()
                backend.set_subscription_attributes(subscription.arn, name, text)
        return cls(subscription.arn)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> TopicSubscription:
        cls.delete_from_cloudformation_json(
            original_resource.arn, cloudformation_json, account_id, region_name
        )
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        sns_backends[account_id][region_name].unsubscribe(resource_name)


class StoredPolicy:
    """Shared part of the three resource policies: stored where the service keeps them.

    Each policy class names ``CloudFormationModel`` as a direct base, because moto finds
    models through ``CloudFormationModel.__subclasses__()``, which lists direct subclasses.
    """

    resource_type = ""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets

    @property
    def physical_resource_id(self) -> str:
        return ",".join(self.targets)

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        p = cloudformation_json["Properties"]
        targets = cls.apply(p, account_id, region_name)
        return cls(targets)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None

    @classmethod
    def apply(cls, properties: dict[str, Any], account_id: str, region_name: str) -> list[str]:
        raise NotImplementedError


class BucketPolicy(StoredPolicy, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def apply(cls, properties: dict[str, Any], account_id: str, region_name: str) -> list[str]:
        bucket = properties["Bucket"]
        policy = _policy_text(properties["PolicyDocument"]).encode("utf-8")
        s3_backends[account_id]["aws"].put_bucket_policy(bucket, policy)
        return [bucket]


class TopicPolicy(StoredPolicy, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def apply(cls, properties: dict[str, Any], account_id: str, region_name: str) -> list[str]:
        backend = sns_backends[account_id][region_name]
        policy = _policy_text(properties["PolicyDocument"])
        for topic_arn in properties.get("Topics", []):
            backend.set_topic_attribute(topic_arn, "policy", policy)
        return list(properties.get("Topics", []))


class QueuePolicy(StoredPolicy, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def apply(cls, properties: dict[str, Any], account_id: str, region_name: str) -> list[str]:
        backend = sqs_backends[account_id][region_name]
        policy = _policy_text(properties["PolicyDocument"])
        names = [url.rstrip("/").rsplit("/", 1)[-1] for url in properties.get("Queues", [])]
        for name in names:
            backend.set_queue_attributes(name, {"Policy": policy})
        return names


def keep_existing(
    cls: Any,
    /,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    LOG.warning(
        "%s %s: in-place changes are not modelled locally; keeping the existing resource",
        cloudformation_json.get("Type"),
        new_resource_name,
    )
    return original_resource


def kms_key_with_tags(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """moto hands CloudFormation's ``Key``/``Value`` tags to KMS, which wants ``TagKey``."""
    properties = dict(cloudformation_json["Properties"])
    properties["Tags"] = [
        {"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags") or []
    ]
    fixed = dict(cloudformation_json, Properties=properties)
    return _ORIGINAL_KMS_CREATE(resource_name, fixed, account_id, region_name, **kwargs)


def bucket_policy_not_enforced(self: Any, action: str, resource: str) -> Any:
    """moto evaluates bucket policies without their Conditions, so a standard
    "deny unless TLS" statement would deny everything: locally, policies are not enforced."""
    return PermissionResult.NEUTRAL


def install() -> None:
    model_map = parsing.get_model_map()
    replace_attribute(FakeBucket, "get_permission", bucket_policy_not_enforced)
    replace_attribute(KmsKey, "create_from_cloudformation_json", classmethod(kms_key_with_tags))
    for resource_type in KEEP_ON_UPDATE:
        replace_attribute(
            model_map[resource_type], "update_from_cloudformation_json", classmethod(keep_existing)
        )
    # moto builds its type table once from CloudFormationModel.__subclasses__(); the models
    # above are subclasses now, so rebuild it.
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
