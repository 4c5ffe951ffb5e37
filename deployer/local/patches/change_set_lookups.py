"""Patch: finding change sets, as CloudFormation does (one stack's; a missing one by name).

What moto lacks:
- ``ListChangeSets`` ignores ``StackName`` and lists the change sets of every stack, executed
  ones included (AWS lists a stack's active change sets; executing one removes the others);
- ``DescribeChangeSet``, ``ExecuteChangeSet`` and ``DeleteChangeSet`` of a change set that
  does not exist (deleted, or removed when another change set of its stack was executed)
  answer "Stack with id ... does not exist" or fail inside moto (HTTP 500). AWS answers
  ``ChangeSetNotFound`` (HTTP 404) "ChangeSet [name] does not exist".

What the patch does: ``ListChangeSets`` lists only the named stack's change sets not yet
executed (the stack by name or id, live stacks only), and the three calls answer
``ChangeSetNotFound`` for a change set that is not there. Two ``up`` runs racing from
nothing meet these answers: the loser's change set is removed when the winner's executes.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import CloudFormationError
from moto.core.responses import ActionResult

from deployer.local.patches import Installer, Patch


class ChangeSetNotFoundError(CloudFormationError):
    code = "ChangeSetNotFoundException"  # the model's shape; its wire code is ChangeSetNotFound


def install(installer: Installer) -> None:
    backend = cfn_models.CloudFormationBackend
    for method in ("describe_change_set", "execute_change_set", "delete_change_set"):
        installer.replace(backend, method, _found_first(getattr(backend, method)))
    installer.replace(cfn_responses.CloudFormationResponse, "list_change_sets", list_change_sets)


def _found_first(original: Any) -> Any:
    def call(self: Any, change_set_name: str, *args: Any, **kwargs: Any) -> Any:
        if find(self, change_set_name) is None:
            raise ChangeSetNotFoundError(f"ChangeSet [{change_set_name}] does not exist")
        return original(self, change_set_name, *args, **kwargs)

    return call


def find(backend: Any, name: str) -> Any:
    """The change set of that ARN or name, if it exists."""
    if name in backend.change_sets:
        return backend.change_sets[name]
    return next((cs for cs in backend.change_sets.values() if cs.change_set_name == name), None)


def list_change_sets(self: Any) -> Any:
    wanted = self._get_param("StackName")
    backend = self.cloudformation_backend
    live = {s.stack_id for s in backend.stacks.values() if wanted in (s.name, s.stack_id)}
    change_sets = [
        cs
        for cs in backend.list_change_sets()
        if cs.stack_id in live and not cs.execution_status.startswith("EXECUTE_")
    ]
    return ActionResult({"Summaries": change_sets})


PATCH = Patch(
    name="change_set_lookups",
    requires=(
        ("moto.cloudformation.models", "CloudFormationBackend.describe_change_set"),
        ("moto.cloudformation.models", "CloudFormationBackend.execute_change_set"),
        ("moto.cloudformation.models", "CloudFormationBackend.delete_change_set"),
        ("moto.cloudformation.models", "CloudFormationBackend.list_change_sets"),
        ("moto.cloudformation.responses", "CloudFormationResponse.list_change_sets"),
        ("moto.cloudformation.exceptions", "CloudFormationError"),
        ("moto.core.responses", "ActionResult"),
    ),
    fields={
        "CloudFormationBackend": ("change_sets", "stacks"),
        "FakeChangeSet": ("change_set_name", "stack_id", "execution_status"),
        "Stack": ("name", "stack_id"),
    },
    install=install,
)
