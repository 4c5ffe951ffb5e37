"""Patch: stack execution: a failing resource fails the stack; change sets set outputs.

What moto lacks:
- CloudFormation runs resources inside the CreateStack/ExecuteChangeSet request; an
  exception there becomes an HTTP 500 and leaves the stack in CREATE_IN_PROGRESS forever,
  so a deploy tool waits, then reports an internal error with no cause.
- ExecuteChangeSet applies the resources but keeps the outputs of the template the stack
  had before (none, for a stack created by a change set).

What the patch does: the outermost CreateStack/ExecuteChangeSet catches the exception (nested
stacks re-raise it to their parent), records a ``CREATE_FAILED``/``UPDATE_FAILED`` event on
the failing resource's logical id with the error as its reason, and settles the stack in
``ROLLBACK_COMPLETE`` (a failed create) or ``UPDATE_ROLLBACK_COMPLETE`` (a failed update).
Nothing is actually rolled back: resources created before the failure stay in the emulator.
After a successful ExecuteChangeSet the stack's template is re-read and its outputs rebuilt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing

from deployer.local.patches import Installer, Patch

LOG = logging.getLogger("disa.local.cfn")
_ORIGINAL_CREATE_RESOURCE = parsing.parse_and_create_resource
_ORIGINAL_UPDATE_RESOURCE = parsing.parse_and_update_resource
_ORIGINAL_CREATE_STACK = cfn_models.CloudFormationBackend.create_stack
_ORIGINAL_EXECUTE = cfn_models.CloudFormationBackend.execute_change_set
_DEPTH = threading.local()


def install(installer: Installer) -> None:
    installer.replace(parsing, "parse_and_create_resource", parse_and_create_resource)
    installer.replace(parsing, "parse_and_update_resource", parse_and_update_resource)
    backend = cfn_models.CloudFormationBackend
    installer.replace(backend, "create_stack", create_stack)
    installer.replace(backend, "execute_change_set", execute_change_set)


def parse_and_create_resource(
    logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any
) -> Any:
    return _tagging_failure(_ORIGINAL_CREATE_RESOURCE, logical_id, resource_json, args, kwargs)


def parse_and_update_resource(
    logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any
) -> Any:
    return _tagging_failure(_ORIGINAL_UPDATE_RESOURCE, logical_id, resource_json, args, kwargs)


def _tagging_failure(
    original: Callable[..., Any],
    logical_id: str,
    resource_json: dict[str, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Run moto's resource handler; an exception leaving it names the (innermost) resource."""
    try:
        return original(logical_id, resource_json, *args, **kwargs)
    except Exception as err:
        if not hasattr(err, "disa_resource"):
            err.disa_resource = (logical_id, resource_json.get("Type", ""))  # type: ignore[attr-defined]
        raise


def create_stack(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    return _outermost(
        lambda: _ORIGINAL_CREATE_STACK(self, name, *args, **kwargs),
        lambda: _stack_named(self, name),
        "CREATE",
    )


def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> Any:
    change_set = self.change_sets.get(change_set_name) or next(
        (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None
    )
    operation = change_set.change_set_type if change_set is not None else "UPDATE"

    def run() -> None:
        _ORIGINAL_EXECUTE(self, change_set_name, stack_name)
        stack = self.stacks.get(change_set.stack_id) if change_set is not None else None
        if stack is not None:
            stack._parse_template()
            stack.output_map = stack._create_output_map()

    return _outermost(
        run,
        lambda: self.stacks.get(change_set.stack_id) if change_set is not None else None,
        operation,
        change_set,
    )


def _outermost(
    run: Callable[[], Any], find_stack: Callable[[], Any], operation: str, change_set: Any = None
) -> Any:
    depth = getattr(_DEPTH, "value", 0)
    _DEPTH.value = depth + 1
    try:
        return run()
    except Exception as err:
        if depth > 0 or not hasattr(err, "disa_resource"):
            raise  # nested: the parent's resource fails with it; or not a resource failure
        stack = find_stack()
        if stack is None:
            raise
        fail_stack(stack, operation, err)
        if change_set is not None:
            change_set.execution_status = "EXECUTE_FAILED"
        return stack
    finally:
        _DEPTH.value = depth


def fail_stack(stack: Any, operation: str, err: Exception) -> None:
    logical_id, resource_type = getattr(err, "disa_resource", (stack.name, ""))
    reason = f"{type(err).__name__}: {err}"
    LOG.warning("stack %s: %s %s failed: %s", stack.name, resource_type, logical_id, reason)
    failed = "CREATE_FAILED" if operation == "CREATE" else "UPDATE_FAILED"
    stack.events.append(
        cfn_models.Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id="",
            resource_type=resource_type or "AWS::CloudFormation::Stack",
            resource_status=failed,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )
    settled = "ROLLBACK_COMPLETE" if operation == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event(
        settled, resource_status_reason=f"The following resource(s) failed: [{logical_id}]"
    )
    stack.status = settled


def _stack_named(backend: Any, name: str) -> Any:
    return next((s for s in backend.stacks.values() if s.name == name), None)


PATCH = Patch(
    name="stack_execution",
    requires=(
        ("moto.cloudformation.parsing", "parse_and_create_resource"),
        ("moto.cloudformation.parsing", "parse_and_update_resource"),
        ("moto.cloudformation.models", "CloudFormationBackend.create_stack"),
        ("moto.cloudformation.models", "CloudFormationBackend.execute_change_set"),
        ("moto.cloudformation.models", "Stack._add_stack_event"),
        ("moto.cloudformation.models", "Stack._parse_template"),
        ("moto.cloudformation.models", "Stack._create_output_map"),
        ("moto.cloudformation.models", "Event"),
    ),
    fields={
        "Stack": ("output_map", "name", "events", "status", "stack_id"),
        "CloudFormationBackend": ("stacks", "change_sets"),
        "FakeChangeSet": ("change_set_type", "change_set_name", "stack_id", "execution_status"),
    },
    install=install,
)
