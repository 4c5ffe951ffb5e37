"""What a stack status means for the next step: the pure half of ``up``'s pre-flight.

:func:`decide` maps a stack's current status (and its ownership tags) to the next action,
or refuses with the recovery command. It makes no calls, so every state has a unit test.
Ownership (:func:`owned`) is all three tags equal to this env and project; the tool deletes
or replaces nothing that fails it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from deployer.errors import PreflightError
from deployer.gateways.cloudformation import StackInfo

SETTLED_OK = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
ROLLED_BACK = frozenset(
    {"ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"}
)
UPDATABLE = SETTLED_OK | {"UPDATE_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"}
RECREATABLE = frozenset({"ROLLBACK_COMPLETE", "CREATE_FAILED"})


class Next(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    RECREATE = "recreate"  # delete the failed stack first, then create
    WAIT = "wait"  # an operation is running: wait for it to settle, then decide again


def is_in_progress(status: str) -> bool:
    return status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS"


def owned(tags: Mapping[str, str], owner_tags: Mapping[str, str]) -> bool:
    """Every ownership tag (managed-by, env, project) present with this env's value."""
    return all(tags.get(key) == value for key, value in owner_tags.items())


def foreign_tags(tags: Mapping[str, str], owner_tags: Mapping[str, str]) -> str:
    """The ownership tags that differ, as ``key=value`` (or ``key missing``), for messages."""
    wrong = [
        f"{key}={tags[key]}" if key in tags else f"{key} missing"
        for key, value in owner_tags.items()
        if tags.get(key) != value
    ]
    return ", ".join(wrong)


def decide(stack: StackInfo | None, owner_tags: Mapping[str, str], region: str) -> Next:
    if stack is None or stack.status in ("DELETE_COMPLETE", "REVIEW_IN_PROGRESS"):
        return Next.CREATE
    status, name = stack.status, stack.name
    if is_in_progress(status):
        return Next.WAIT
    if status in UPDATABLE:
        return Next.UPDATE
    if status in RECREATABLE:
        if owned(stack.tags, owner_tags):
            return Next.RECREATE
        raise PreflightError(
            f"stack {name} is {status} and does not carry this tool's tags for this env "
            f"({foreign_tags(stack.tags, owner_tags)})",
            hint=f"inspect it, then delete it yourself: aws cloudformation delete-stack "
            f"--stack-name {name} --region {region}",
        )
    if status == "UPDATE_ROLLBACK_FAILED":
        raise PreflightError(
            f"stack {name} is UPDATE_ROLLBACK_FAILED: the last rollback could not finish",
            hint=f"fix the cause shown in its events, then run: aws cloudformation "
            f"continue-update-rollback --stack-name {name} --region {region} "
            "(add --resources-to-skip <LogicalId> for resources that cannot roll back)",
        )
    raise PreflightError(
        f"stack {name} is {status}; disa-deploy will not touch it",
        hint=f"see its events: aws cloudformation describe-stack-events --stack-name {name} "
        f"--region {region}; DELETE_FAILED needs delete-stack --retain-resources",
    )
