"""Create a change set, wait for it, read it as a tree (nested included), clean it up.

A change set that fails because nothing changed is not an error: :func:`create_change_set`
returns ``None`` for it (the reason text is recognised in :mod:`deployer.cfn.messages`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployer.cfn.changes import ChangeNode, build_tree
from deployer.cfn.messages import change_set_has_no_changes
from deployer.errors import DeployFailedError, WaitTimeoutError
from deployer.gateways.cloudformation import ChangeSetInfo, TemplateSource
from deployer.runtime import Runtime

CHANGE_SET_TIMEOUT_SECONDS = 15 * 60
PENDING = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})


@dataclass(frozen=True)
class ChangeSet:
    change_set_id: str
    kind: str  # CREATE | UPDATE
    stack_id: str
    tree: tuple[ChangeNode, ...]


def create_change_set(
    rt: Runtime, kind: str, template: TemplateSource, params: Mapping[str, str]
) -> ChangeSet | None:
    name = rt.config.stack_name
    change_set_name = f"disa-deploy-{uuid.uuid4().hex[:12]}"
    cs_id = rt.stacks.create_change_set(
        name, change_set_name, kind, template, params, rt.config.stack_tags
    )
    info = wait_for_change_set(rt, cs_id)
    if info.status == "FAILED":
        discard(rt, cs_id, kind)
        if change_set_has_no_changes(info.reason):
            return None
        raise DeployFailedError(f"change set for {name} failed: {info.reason}")

    def fetch(nested_id: str) -> Sequence[Mapping[str, Any]]:
        return wait_for_change_set(rt, nested_id).changes

    tree = tuple(build_tree(name, info.changes, fetch))
    stack = rt.stacks.describe(name)
    return ChangeSet(cs_id, kind, stack.stack_id if stack else name, tree)


def wait_for_change_set(rt: Runtime, cs_id: str) -> ChangeSetInfo:
    deadline = rt.clock() + CHANGE_SET_TIMEOUT_SECONDS
    while True:
        info = rt.stacks.describe_change_set(cs_id)
        if info.status not in PENDING:
            return info
        if rt.clock() >= deadline:
            raise WaitTimeoutError(f"change set still {info.status} after 15 minutes")
        rt.wait()


def discard(rt: Runtime, cs_id: str, kind: str) -> None:
    """Delete the change set; for a create, also the empty REVIEW_IN_PROGRESS stack."""
    rt.stacks.delete_change_set(cs_id)
    if kind == "CREATE":
        stack = rt.stacks.describe(rt.config.stack_name)
        if stack is not None and stack.status == "REVIEW_IN_PROGRESS":
            rt.stacks.delete_stack(stack.stack_id)
