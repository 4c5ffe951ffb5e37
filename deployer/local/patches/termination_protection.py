"""Patch: stack termination protection, as CloudFormation keeps it.

What moto lacks: ``UpdateTerminationProtection`` is not implemented (moto answers that it
is not), and ``DeleteStack`` deletes a stack whose ``EnableTerminationProtection`` is true.

What the patch does: answers ``UpdateTerminationProtection`` (the stack's flag, by name or
id; ``StackId`` in the reply) and refuses ``DeleteStack`` of a protected stack with AWS's
``ValidationError`` "Stack [name] cannot be deleted while TerminationProtection is enabled".
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult

from deployer.local.patches import Installer, Patch


def install(installer: Installer) -> None:
    backend = cfn_models.CloudFormationBackend
    delete = backend.delete_stack

    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stack = next((s for s in self.stacks.values()
                      if name_or_stack_id in (s.name, s.stack_id)), None)  # fmt: skip
        if stack is not None and stack.enable_termination_protection:
            raise ValidationError(
                message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection "
                "is enabled"
            )
        delete(self, name_or_stack_id)

    installer.replace(backend, "delete_stack", delete_stack)
    # moto's response class has no handler for this action at all: this adds one.
    installer.add(
        cfn_responses.CloudFormationResponse,
        "update_termination_protection",
        update_termination_protection,
    )


def update_termination_protection(self: Any) -> Any:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection")
    return ActionResult({"StackId": stack.stack_id})


PATCH = Patch(
    name="termination_protection",
    requires=(
        ("moto.cloudformation.models", "CloudFormationBackend.delete_stack"),
        ("moto.cloudformation.models", "CloudFormationBackend.get_stack"),
        ("moto.cloudformation.responses", "CloudFormationResponse"),
        ("moto.core.responses", "ActionResult"),
        ("moto.cloudformation.exceptions", "ValidationError"),
    ),
    fields={
        "CloudFormationBackend": ("stacks",),
        "Stack": ("name", "stack_id", "enable_termination_protection"),
    },
    install=install,
)
