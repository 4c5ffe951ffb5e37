"""What the launcher adds to moto so DISA runs on it, one module per gap (see each docstring).

``install_all`` must run in the emulator process only, before the server takes requests:
the patches replace moto internals process-wide. ``REQUIRED_INTERNALS`` names every moto
attribute they rely on; ``missing_internals`` (and the guard test) report any a moto upgrade
moved, so the failure names the attribute instead of surfacing as a wrong result.
"""

from __future__ import annotations

import importlib
from pathlib import Path

# (module, dotted attribute path) pairs the patches read, call or replace.
REQUIRED_INTERNALS: tuple[tuple[str, str], ...] = (
    ("moto.awslambda.models", "LambdaFunction._invoke_lambda"),
    ("moto.awslambda.models", "LambdaFunction.invoke"),
    ("moto.awslambda.models", "LambdaFunction.save_logs"),
    ("moto.awslambda.models", "lambda_backends"),
    ("moto.awslambda.models", "LambdaBackend.get_function"),
    ("moto.dynamodb.models.table", "StreamShard.add"),
    ("moto.dynamodb.models.table", "StreamRecord"),
    ("moto.dynamodb.models", "dynamodb_backends"),
    ("moto.events.models", "EventPattern.load"),
    ("moto.events.models", "events_backends"),
    ("moto.sqs.models", "SQSBackend.send_message"),
    ("moto.cloudformation.utils", "yaml_tag_constructor"),
    ("moto.cloudformation.models", "yaml_tag_constructor"),
    ("moto.cloudformation.responses", "yaml_tag_constructor"),
    ("moto.cloudformation.models", "get_stack_from_s3_url"),
    ("moto.cloudformation.responses", "get_stack_from_s3_url"),
    ("moto.cloudformation.parsing", "clean_json"),
    ("moto.cloudformation.parsing", "get_model_map"),
    ("moto.cloudformation.parsing", "get_model_list"),
    ("moto.cloudformation.parsing", "get_name_type_map"),
    ("moto.cloudformation.models", "Stack.update"),
    ("moto.core.config", "default_user_config"),
    ("moto.stepfunctions.responses", "get_backend"),
    ("moto.stepfunctions.models", "StateMachine.create_from_cloudformation_json"),
    ("moto.stepfunctions.parser.models", "StepFunctionsParserBackend.start_execution"),
    ("moto.stepfunctions.parser.asl.utils.boto_client", "moto_server_port"),
    ("moto.cloudwatch.models", "CloudWatchBackend.put_metric_alarm"),
    ("moto.sns.models", "SNSBackend.subscribe"),
    ("moto.sns.models", "SNSBackend.set_subscription_attributes"),
    ("moto.s3.models", "S3Backend.put_bucket_policy"),
    ("moto.sqs.models", "SQSBackend.set_queue_attributes"),
    ("moto.cloudformation.parsing", "parse_and_create_resource"),
    ("moto.cloudformation.parsing", "parse_and_update_resource"),
    ("moto.cloudformation.models", "CloudFormationBackend.create_stack"),
    ("moto.cloudformation.models", "CloudFormationBackend.execute_change_set"),
    ("moto.cloudformation.models", "Stack._add_stack_event"),
    ("moto.cloudformation.models", "Stack._parse_template"),
    ("moto.cloudformation.models", "Stack._create_output_map"),
    ("moto.cloudformation.models", "Event"),
    ("moto.kms.models", "Key.create_from_cloudformation_json"),
    ("moto.s3.models", "FakeBucket.get_permission"),
    ("moto.iam.access_control", "PermissionResult.NEUTRAL"),
    ("moto.moto_server.werkzeug_app", "DomainDispatcherApplication"),
    ("moto.moto_server.werkzeug_app", "create_backend_app"),
)
# Instance attributes (set in __init__, so invisible on the class) the patches read.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "LambdaFunction": (
        "code_bytes",
        "handler",
        "environment_vars",
        "timeout",
        "logs_backend",
        "function_name",
        "function_arn",
        "region",
        "run_time",
        "memory_size",
        "version",
        "logs_group_name",
    ),
    "StreamShard": ("items", "table", "starting_sequence_number", "id"),
    "Table": ("stream_shard", "latest_stream_label", "stream_specification", "table_arn"),
    "EventSourceMapping": (
        "uuid",
        "enabled",
        "batch_size",
        "filter_criteria",
        "function_response_types",
        "starting_position",
        "max_retry_attempts",
        "destination_config",
        "function_arn",
        "region",
        "account_id",
        "event_source_arn",
    ),
    "Rule": (
        "scheduled_expression",
        "state",
        "targets",
        "arn",
        "name",
        "account_id",
        "region_name",
    ),
    "Stack": ("output_map", "name", "events", "status", "stack_id"),
}


def replace_attribute(owner: object, name: str, value: object) -> None:
    """Swap one moto attribute for a patch's version; refuses to add one that is not there."""
    if not hasattr(owner, name):
        raise AttributeError(f"moto moved {getattr(owner, '__name__', owner)}.{name}")
    setattr(owner, name, value)


def missing_internals() -> list[str]:
    """Every required ``module:attribute`` that this moto does not have."""
    missing = []
    for module_name, path in REQUIRED_INTERNALS:
        try:
            target: object = importlib.import_module(module_name)
        except ImportError:
            missing.append(f"{module_name} (module)")
            continue
        for part in path.split("."):
            if not hasattr(target, part):
                missing.append(f"{module_name}:{path}")
                break
            target = getattr(target, part)
    return missing


def install_all(endpoint: str, state_dir: Path) -> None:
    from deployer.local.patches import (
        cfn_model_fixes,
        cfn_resources,
        lambda_subprocess,
        nested_stacks,
        schedules,
        stack_execution,
        state_machines,
        stream_mappings,
    )

    lambda_subprocess.install(endpoint, state_dir / "lambda-code")
    stream_mappings.install()
    nested_stacks.install()
    state_machines.install()
    schedules.install()
    cfn_resources.install()
    stack_execution.install()
    cfn_model_fixes.install()
