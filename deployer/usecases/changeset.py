"""Create a change set, wait for it, read it as a tree (nested included), execute it, or
clean it up.

A change set that fails because nothing changed is not an error: :func:`create_change_set`
returns ``None`` for it (the reason text is recognised in :mod:`deployer.cfn.messages`).
One that fails because a nested change set failed says only "Nested change set arn:... was
not successfully created: Currently in FAILED."; the tool describes that nested change set,
and the one it blames in turn, and reports the deepest one's own reason with its stack path.

The rule for what the tool creates: when anything fails before execution starts (a refusal,
a timeout, a failed read), :func:`cleanup_on_failure` removes its change set and the
``REVIEW_IN_PROGRESS`` stack a CREATE change set made, only one this run made and only while
it is still ``REVIEW_IN_PROGRESS``. Cleanup is best effort: whatever could not be removed is
said, with the command that removes it, and never hides the error that caused it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from deployer.cfn.changes import ChangeNode, build_tree
from deployer.cfn.messages import change_set_has_no_changes, failed_nested_change_set
from deployer.errors import AwsCallError, DeployError, DeployFailedError
from deployer.gateways.cloudformation import ChangeSetInfo, TemplateSource
from deployer.runtime import Runtime
from deployer.usecases.waiting import Deadline, Outage, pause, timed_out
from deployer.usecases.watch import newest_event_id

PENDING = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
STARTED = frozenset({"EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED"})
MAX_NESTING = 10


@dataclass(frozen=True)
class ChangeSet:
    change_set_id: str
    kind: str  # CREATE | UPDATE
    stack_id: str
    tree: tuple[ChangeNode, ...]
    made_stack: bool = False  # this run's CREATE change set made the (REVIEW_IN_PROGRESS) stack


def create_change_set(
    rt: Runtime,
    kind: str,
    template: TemplateSource,
    params: Mapping[str, str],
    deadline: Deadline,
    made_stack: bool = False,
) -> ChangeSet | None:
    """``made_stack``: no stack existed, so the CREATE change set makes one (ours to remove)."""
    name = rt.config.stack_name
    change_set_name = f"disa-deploy-{uuid.uuid4().hex[:12]}"
    made = rt.stacks.create_change_set(
        name, change_set_name, kind, template, params, rt.config.stack_tags
    )
    draft = ChangeSet(made.change_set_id, kind, made.stack_id or name, (), made_stack)
    with cleanup_on_failure(rt, draft):
        info = wait_for_change_set(rt, draft.change_set_id, deadline)
        if info.status == "FAILED":
            if change_set_has_no_changes(info.reason):
                discard(rt, draft)
                return None
            path, reason = explain_failure(rt, info, deadline, name)
            raise DeployFailedError(
                f"change set for {name} failed in {path}: {reason}",
                hint="nothing was executed; fix the template or parameters and run again",
            )

        def fetch(nested_id: str) -> Sequence[Mapping[str, Any]]:
            return wait_for_change_set(rt, nested_id, deadline).changes

        tree = tuple(build_tree(name, info.changes, fetch))
    return replace(draft, tree=tree)


def wait_for_change_set(rt: Runtime, cs_id: str, deadline: Deadline) -> ChangeSetInfo:
    outage = Outage(rt, "change set status")
    last_status = ""
    while True:
        try:
            info = rt.stacks.describe_change_set(cs_id)
        except AwsCallError as err:
            outage.absorb(err)
        else:
            outage.recovered()
            if info.status not in PENDING:
                return info
            last_status = info.status
        if deadline.passed(rt.clock()):
            raise timed_out(rt, f"change set {cs_id}", last_status, deadline, outage)
        pause(rt, deadline, outage.delay())


def explain_failure(
    rt: Runtime, info: ChangeSetInfo, deadline: Deadline, path: str
) -> tuple[str, str]:
    """(stack path, reason) of the deepest failed change set that ``info``'s reason blames."""
    for _ in range(MAX_NESTING):
        nested_id = failed_nested_change_set(info.reason)
        if nested_id is None:
            break
        try:
            nested = wait_for_change_set(rt, nested_id, deadline)
        except DeployError as err:
            return path, f"{info.reason} (its reason could not be read: {err.message})"
        logical_id = next(
            (str(c.get("LogicalResourceId")) for c in info.changes
             if c.get("ChangeSetId") == nested_id), nested.stack_name or nested_id,
        )  # fmt: skip
        path, info = f"{path}/{logical_id}", nested
    return path, info.reason or info.status


def start_execution(rt: Runtime, change_set: ChangeSet, deadline: Deadline) -> str | None:
    """Execute the change set; returns the event id a watch of the execution starts after.

    An ExecuteChangeSet that got no valid answer may still have started: the change set's
    execution status decides, so a started execution is followed, not cleaned up.
    """
    marker = newest_event_id(rt, change_set.stack_id, deadline)
    try:
        rt.stacks.execute_change_set(change_set.change_set_id)
    except AwsCallError as err:
        if not err.failure.maybe_done:
            raise
        execution = wait_for_change_set(rt, change_set.change_set_id, deadline).execution_status
        if execution not in STARTED:
            raise
        rt.ui.progress(f"execute change set: {err.failure.value}, yet it is {execution}")
    return marker


@contextmanager
def cleanup_on_failure(rt: Runtime, change_set: ChangeSet) -> Iterator[None]:
    try:
        yield
    except Exception:
        discard(rt, change_set)
        raise


def discard(rt: Runtime, change_set: ChangeSet) -> None:
    """Delete the change set and the REVIEW_IN_PROGRESS stack this run made (best effort)."""
    cs_id, region = change_set.change_set_id, rt.config.region
    try:
        rt.stacks.delete_change_set(cs_id)
    except DeployError as err:
        _left_behind(rt, f"change set {cs_id}", err, f"aws cloudformation delete-change-set "
                     f"--change-set-name {cs_id} --region {region}")  # fmt: skip
    if not change_set.made_stack:
        return
    try:
        stack = rt.stacks.describe(change_set.stack_id)
        if stack is not None and stack.status == "REVIEW_IN_PROGRESS":
            rt.stacks.delete_stack(stack.stack_id)
    except DeployError as err:
        _left_behind(rt, f"stack {change_set.stack_id}", err, f"aws cloudformation delete-stack "
                     f"--stack-name {change_set.stack_id} --region {region}")  # fmt: skip


def _left_behind(rt: Runtime, what: str, err: DeployError, command: str) -> None:
    rt.ui.progress(f"warning: could not remove {what}: {err.message}")
    rt.ui.progress(f"  remove it yourself: {command}")
