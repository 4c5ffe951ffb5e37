"""Patch: state machines created by CloudFormation load their definition and execute.

What moto lacks: ``AWS::StepFunctions::StateMachine`` reads only ``DefinitionString`` (not
``Definition``, ``DefinitionS3Location`` or ``DefinitionSubstitutions``), has no ``Arn``
attribute for ``!GetAtt``, and always writes to the plain Step Functions backend, while
executions that really run live in a second backend that moto uses only when its
``stepfunctions.execute_state_machine`` setting is on (``moto.core.config``; the
environment variable SF_EXECUTION_HISTORY_TYPE only shapes the canned history of the
non-executing backend).

What the patch does: turns ``execute_state_machine`` on, and makes the CloudFormation
handlers build the definition (inline string or object, or the object at
``DefinitionS3Location`` in moto's S3), replace each ``${Name}`` of
``DefinitionSubstitutions``, and create/update/delete through the backend the API uses, so
StartExecution from a handler runs the machine: Lambda tasks go through patch 1,
``dynamodb:updateItem`` tasks through moto's DynamoDB. An execution started without a name
gets a UUID, as on AWS.

Express workflows: moto runs them as Standard ones, refusing a second execution of a name
(``ExecutionAlreadyExists``) and naming each ``...:execution:<machine>:<name>``. AWS starts
every StartExecution of an Express workflow, a repeated name included (at least once, no
name idempotency), and names the instance ``...:express:<machine>:<name>:<id>``. The patch
starts an EXPRESS machine's executions that way, so the claim that must hold under
at-least-once is exercised locally. (Their history still answers locally; on AWS an
Express execution has no DescribeExecution or GetExecutionHistory, only its log group.)
"""

from __future__ import annotations

import copy
import datetime
import json
import uuid
from typing import Any

from moto.core.config import default_user_config
from moto.s3.models import s3_backends
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import get_backend
from moto.stepfunctions.utils import cfn_to_api_tags

from deployer.local.patches import Installer, Patch

_ORIGINAL_START = StepFunctionsParserBackend.start_execution
_ORIGINAL_ATTRIBUTE = StateMachine.get_cfn_attribute
_ORIGINAL_HAS_ATTRIBUTE = StateMachine.has_cfn_attr


def install(installer: Installer) -> None:
    previous = default_user_config.get("stepfunctions")
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    installer.on_undo(lambda: default_user_config.__setitem__("stepfunctions", previous))
    installer.replace(StateMachine, "create_from_cloudformation_json", classmethod(create))
    installer.replace(StateMachine, "update_from_cloudformation_json", classmethod(update))
    installer.replace(StateMachine, "delete_from_cloudformation_json", classmethod(delete))
    installer.replace(StateMachine, "get_cfn_attribute", attribute)
    installer.replace(StateMachine, "has_cfn_attr", classmethod(has_attribute))
    installer.replace(StepFunctionsParserBackend, "start_execution", start_execution)


def start_execution(self: Any, state_machine_arn: str, name: Any = None, *args: Any) -> Any:
    """StartExecution without a name gets a UUID, as on AWS (moto's executing backend
    leaves it empty, so a second unnamed execution "already exists"); an EXPRESS machine
    starts every call, as AWS does."""
    name = name or str(uuid.uuid4())
    machine = self.describe_state_machine(state_machine_arn)
    if getattr(machine, "type", "STANDARD") == "EXPRESS":
        return start_express(self, machine, name, *args)
    return _ORIGINAL_START(self, state_machine_arn, name, *args)


def start_express(
    backend: Any, machine: Any, name: str, execution_input: Any = None, trace_header: Any = None
) -> Any:
    """moto's start, without its name check, under an Express instance ARN."""
    input_data = "{}" if execution_input is None else execution_input
    json.loads(input_data)  # moto's check: the input is JSON (InvalidExecutionInput)
    # A snapshot of the definition, as moto takes one (its executions and backend shared,
    # not copied: they hold live worker threads).
    snapshot = copy.deepcopy(
        machine, {id(machine.executions): [], id(machine.backend): machine.backend}
    )
    arn = (f"arn:{backend.partition}:states:{backend.region_name}:{backend.account_id}"
           f":express:{machine.name}:{name}:{uuid.uuid4()}")  # fmt: skip
    execution = Execution(
        name=name,
        sm_type=snapshot.sm_type,
        role_arn=snapshot.roleArn,
        exec_arn=arn,
        account_id=backend.account_id,
        region_name=backend.region_name,
        state_machine=snapshot,
        start_date=datetime.datetime.now(tz=datetime.UTC),
        cloud_watch_logging_session=None,
        input_data=input_data,
        trace_header=trace_header,
        activity_store={},
    )
    machine.executions.append(execution)
    execution.start()
    return execution


def substitute(definition: str, substitutions: dict[str, Any] | None) -> str:
    """Apply DefinitionSubstitutions: each ``${Key}`` becomes the value's text."""
    for key, value in (substitutions or {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    return definition


def load_definition(properties: dict[str, Any], account_id: str) -> str:
    if "DefinitionString" in properties:
        text = str(properties["DefinitionString"])
    elif "Definition" in properties:
        text = json.dumps(properties["Definition"])
    elif "DefinitionS3Location" in properties:
        location = properties["DefinitionS3Location"]
        obj = s3_backends[account_id]["aws"].get_object(
            location["Bucket"], location["Key"], location.get("Version")
        )
        text = obj.value.decode("utf-8")  # type: ignore[union-attr]
    else:
        text = ""
    return substitute(text, properties.get("DefinitionSubstitutions"))


def create(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    properties = cloudformation_json["Properties"]
    backend = get_backend(account_id, region_name)
    return backend.create_state_machine(
        properties.get("StateMachineName", resource_name),
        load_definition(properties, account_id),
        properties.get("RoleArn", ""),
        tags=cfn_to_api_tags(properties.get("Tags") or []),
        loggingConfiguration=properties.get("LoggingConfiguration"),
        tracingConfiguration=properties.get("TracingConfiguration"),
        sm_type=properties.get("StateMachineType"),
    )


def update(
    cls: Any,
    /,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    properties = cloudformation_json.get("Properties", {})
    name = properties.get("StateMachineName", original_resource.name)
    if name != original_resource.name:
        replacement = create(cls, name, cloudformation_json, account_id, region_name)
        delete(cls, original_resource.arn, cloudformation_json, account_id, region_name)
        return replacement
    return get_backend(account_id, region_name).update_state_machine(
        original_resource.arn,
        definition=load_definition(properties, account_id),
        role_arn=properties.get("RoleArn"),
    )


def delete(
    cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
) -> None:
    get_backend(account_id, region_name).delete_state_machine(resource_name)


def attribute(self: Any, attribute_name: str) -> Any:
    if attribute_name == "Arn":
        return self.arn
    return _ORIGINAL_ATTRIBUTE(self, attribute_name)


def has_attribute(cls: Any, /, attr: str) -> bool:
    return attr == "Arn" or bool(_ORIGINAL_HAS_ATTRIBUTE(attr))


PATCH = Patch(
    name="state_machines",
    requires=(
        ("moto.core.config", "default_user_config"),
        ("moto.stepfunctions.responses", "get_backend"),
        ("moto.stepfunctions.models", "StateMachine.create_from_cloudformation_json"),
        ("moto.stepfunctions.models", "StateMachine.update_from_cloudformation_json"),
        ("moto.stepfunctions.models", "StateMachine.delete_from_cloudformation_json"),
        ("moto.stepfunctions.models", "StateMachine.get_cfn_attribute"),
        ("moto.stepfunctions.models", "StateMachine.has_cfn_attr"),
        ("moto.stepfunctions.models", "StepFunctionBackend.create_state_machine"),
        ("moto.stepfunctions.models", "StepFunctionBackend.update_state_machine"),
        ("moto.stepfunctions.models", "StepFunctionBackend.delete_state_machine"),
        ("moto.stepfunctions.parser.models", "StepFunctionsParserBackend.start_execution"),
        ("moto.stepfunctions.parser.models", "StepFunctionsParserBackend.describe_state_machine"),
        ("moto.stepfunctions.parser.backend.execution", "Execution.start"),
        ("moto.stepfunctions.utils", "cfn_to_api_tags"),
        ("moto.s3.models", "S3Backend.get_object"),
    ),
    fields={"StateMachine": ("arn", "name", "type", "sm_type", "roleArn", "executions", "backend")},
    install=install,
)
