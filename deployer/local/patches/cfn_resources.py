"""Patch: the CloudFormation resource types DISA's templates use that moto lacks.

What moto lacks: ``AWS::CloudWatch::Alarm``, ``AWS::SNS::Subscription``,
``AWS::SNS::TopicPolicy``, ``AWS::S3::BucketPolicy`` and ``AWS::SQS::QueuePolicy`` have no
CloudFormation model (moto warns, skips them, and a ``!Ref`` to them is empty).

What the patch does: adds small models that call the service backends (the alarm is really
created, so ``DescribeAlarms`` on the circuit-breaker alarm answers; subscriptions really
deliver; policies are stored, not enforced: see ``cfn_model_fixes``). An update replaces the
resource. moto finds models through ``CloudFormationModel.__subclasses__()`` (direct
subclasses only), so the classes below are plain; ``install`` registers a subclass of each with
``CloudFormationModel`` as a direct base, and importing this module registers nothing.
Fixes to moto's own models (updates that lose the resource, KMS tags, bucket policy
evaluation) are ``cfn_model_fixes``.
"""

from __future__ import annotations

import gc
import json
from typing import Any, ClassVar, Self

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.core.model_instances import model_data
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from deployer.local.patches import Installer, Patch

_REGISTERED: list[type] = []


def install(installer: Installer) -> None:
    for model in (MetricAlarm, TopicSubscription, BucketPolicy, TopicPolicy, QueuePolicy):
        # moto's metaclass also files every model class in model_data, by module and name.
        namespace = {"__module__": model.__module__, "__doc__": model.__doc__}
        _REGISTERED.append(type(model.__name__, (model, CloudFormationModel), namespace))
    _rebuild_type_table()
    installer.on_undo(_unregister)


def _rebuild_type_table() -> None:
    # moto builds its type table once from CloudFormationModel.__subclasses__().
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def _unregister() -> None:
    for model in _REGISTERED:
        filed = model_data[model.__module__.split(".")[1]]
        if filed.get(model.__name__) is model:
            del filed[model.__name__]
    _REGISTERED.clear()
    _rebuild_type_table()  # first: the cached table refers to the classes
    gc.collect()  # __subclasses__ holds weak references: the classes go once collected


class ResourceModel:
    """What moto asks of every CloudFormation model, answered from class attributes.

    A model here says only how its service creates (and deletes) the resource.
    """

    resource_type: ClassVar[str]
    name_property: ClassVar[str] = ""  # the property that names the resource, if any
    attributes: ClassVar[tuple[str, ...]] = ()  # what ``!GetAtt`` may read: "Arn" at most

    def __init__(self, physical_id: str, arn: str = "") -> None:
        self.physical_id, self.arn = physical_id, arn

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.resource_type

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.name_property

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.attributes

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.attributes:
            return self.arn
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Self:
        return cls.create(resource_name, cloudformation_json["Properties"], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Self:
        """Replace: delete the original, then create from the new properties."""
        cls.delete(original_resource.physical_resource_id, account_id, region_name)
        properties = cloudformation_json["Properties"]
        name = cls.replacement_name(original_resource, new_resource_name, properties)
        return cls.create(name, properties, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        cls.delete(resource_name, account_id, region_name)

    @classmethod
    def create(cls, name: str, properties: Any, account_id: str, region_name: str) -> Self:
        raise NotImplementedError

    @classmethod
    def delete(cls, physical_id: str, account_id: str, region_name: str) -> None:
        """Undo ``create``; nothing by default (a stored policy goes with its target)."""

    @classmethod
    def replacement_name(cls, original: Any, new_resource_name: str, properties: Any) -> str:
        return new_resource_name


class MetricAlarm(ResourceModel):
    resource_type = "AWS::CloudWatch::Alarm"
    name_property = "AlarmName"
    attributes = ("Arn",)

    @classmethod
    def create(cls, name: str, properties: Any, account_id: str, region_name: str) -> Self:
        p = properties
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
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
    def delete(cls, physical_id: str, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([physical_id])

    @classmethod
    def replacement_name(cls, original: Any, new_resource_name: str, properties: Any) -> str:
        """The new AlarmName if the template sets one, else the alarm's current name."""
        return str(properties.get("AlarmName", original.physical_resource_id))


class TopicSubscription(ResourceModel):
    resource_type = "AWS::SNS::Subscription"
    attributes = ("Arn",)

    @classmethod
    def create(cls, name: str, properties: Any, account_id: str, region_name: str) -> Self:
        p = properties
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(p["TopicArn"], p["Endpoint"], p["Protocol"])
        # moto keeps RedrivePolicy but never redrives: the emulator cannot show a message
        # reaching a subscription dead-letter queue.
        kept = ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy")
        for attribute in kept:
            if attribute in p:
                value = p[attribute]
                text = json.dumps(value) if isinstance(value, dict) else str(value).lower()
                backend.set_subscription_attributes(subscription.arn, attribute, text)
        return cls(subscription.arn, subscription.arn)

    @classmethod
    def delete(cls, physical_id: str, account_id: str, region_name: str) -> None:
        sns_backends[account_id][region_name].unsubscribe(physical_id)


def _policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


# The three resource policies are stored where their service keeps them; the physical id
# lists their targets, as CloudFormation's does.


class BucketPolicy(ResourceModel):
    resource_type = "AWS::S3::BucketPolicy"

    @classmethod
    def create(cls, name: str, properties: Any, account_id: str, region_name: str) -> Self:
        bucket = properties["Bucket"]
        policy = _policy_text(properties["PolicyDocument"]).encode("utf-8")
        s3_backends[account_id]["aws"].put_bucket_policy(bucket, policy)
        return cls(bucket)


class TopicPolicy(ResourceModel):
    resource_type = "AWS::SNS::TopicPolicy"

    @classmethod
    def create(cls, name: str, properties: Any, account_id: str, region_name: str) -> Self:
        backend = sns_backends[account_id][region_name]
        policy = _policy_text(properties["PolicyDocument"])
        topics = list(properties.get("Topics", []))
        for topic_arn in topics:
            backend.set_topic_attribute(topic_arn, "policy", policy)
        return cls(",".join(topics))


class QueuePolicy(ResourceModel):
    resource_type = "AWS::SQS::QueuePolicy"

    @classmethod
    def create(cls, name: str, properties: Any, account_id: str, region_name: str) -> Self:
        backend = sqs_backends[account_id][region_name]
        policy = _policy_text(properties["PolicyDocument"])
        names = [url.rstrip("/").rsplit("/", 1)[-1] for url in properties.get("Queues", [])]
        for queue_name in names:
            backend.set_queue_attributes(queue_name, {"Policy": policy})
        return cls(",".join(names))


PATCH = Patch(
    name="cfn_resources",
    requires=(
        ("moto.cloudformation.parsing", "get_model_map"),
        ("moto.cloudformation.parsing", "get_model_list"),
        ("moto.cloudformation.parsing", "get_name_type_map"),
        ("moto.core.common_models", "CloudFormationModel"),
        ("moto.core.model_instances", "model_data"),
        ("moto.cloudwatch.models", "CloudWatchBackend.put_metric_alarm"),
        ("moto.cloudwatch.models", "CloudWatchBackend.delete_alarms"),
        ("moto.sns.models", "SNSBackend.subscribe"),
        ("moto.sns.models", "SNSBackend.unsubscribe"),
        ("moto.sns.models", "SNSBackend.set_subscription_attributes"),
        ("moto.sns.models", "SNSBackend.set_topic_attribute"),
        ("moto.s3.models", "S3Backend.put_bucket_policy"),
        ("moto.sqs.models", "SQSBackend.set_queue_attributes"),
    ),
    install=install,
)
