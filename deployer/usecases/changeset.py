"""Create a change set, wait for it, read it as a tree (nested included), execute it, or
clean it up.

A change set that fails because nothing changed is not an error: :func:`create_change_set`
returns ``None`` for it (the reason text is recognised in :mod:`deployer.cfn.messages`).
One that fails because a nested change set failed says only "Nested change set arn:... was
not successfully created: Currently in FAILED."; the tool describes that nested change set,
and the one it blames in turn, and reports the deepest one's own reason with its stack path.

The rule for what the tool creates: when anything fails before execution starts (a refusal,
a timeout, a failed read, Ctrl-C), :class:`ChangeSetScope` removes its change set and the
``REVIEW_IN_PROGRESS`` stack a CREATE change set made, only one this run made and only while
it is still ``REVIEW_IN_PROGRESS``. Cleanup is best effort: whatever could not be removed is
said, with the command that removes it, and never hides the error that caused it. After
Ctrl-C the interruption carries those words (:class:`~deployer.errors.Interrupted`).

Another operation can get to the stack first (two ``up`` started at once from nothing): a
CREATE change set then meets ``AlreadyExistsException``, or joins the other run's
``REVIEW_IN_PROGRESS`` stack, and its execution finds the change set gone or no longer
executable (executing one change set deletes a stack's others). Each is refused (exit 3),
naming the stack's state, instead of surfacing as CloudFormation's raw error; no run ever
makes a second stack of the name. A cleanup never deletes a ``REVIEW_IN_PROGRESS`` stack
that still holds another run's change set, even one this run believed it made.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from deployer.cfn.changes import ChangeNode, build_tree
from deployer.cfn.messages import change_set_has_no_changes, failed_nested_change_set
from deployer.cfn.plan import ChangeSetRef
from deployer.errors import (
    AwsCallError,
    DeployError,
    DeployFailedError,
    Interrupted,
    PreflightError,
)
from deployer.gateways.cloudformation import ChangeSetInfo, TemplateSource
from deployer.runtime import Runtime
from deployer.usecases.waiting import Deadline, Outage, follow_hint, pause, timed_out
from deployer.usecases.watch import newest_event_id

PENDING = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
STARTED = frozenset({"EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED"})
MAX_NESTING = 10


@dataclass(frozen=True)
class MadeChangeSet:
    ref: ChangeSetRef
    tree: tuple[ChangeNode, ...]


def create_change_set(
    rt: Runtime,
    kind: str,
    template: TemplateSource,
    params: Mapping[str, str],
    deadline: Deadline,
    made_stack: bool = False,
) -> MadeChangeSet | None:
    """``made_stack``: no stack existed, so the CREATE change set makes one (ours to remove)."""
    name = rt.config.stack_name
    change_set_name = f"disa-deploy-{uuid.uuid4().hex[:12]}"
    try:
        made = rt.stacks.create_change_set(
            name, change_set_name, kind, template, params, rt.config.stack_tags
        )
    except AwsCallError as err:
        if err.code == "AlreadyExistsException":
            raise got_there_first(rt, f"creating change set {change_set_name}") from err
        raise
    draft = ChangeSetRef(made.change_set_id, kind, made.stack_id or name, made_stack)
    with ChangeSetScope(rt, draft):
        try:
            info = wait_for_change_set(rt, draft.change_set_id, deadline)
            if info.status == "FAILED":
                _fail_unless_empty(rt, info, draft, deadline)
                return None
            tree = read_tree(rt, info, deadline)
        except AwsCallError as err:
            if err.code == "ChangeSetNotFound":  # another run's execution removed it
                raise got_there_first(rt, f"reading change set {change_set_name}") from err
            raise
    return MadeChangeSet(draft, tree)


def _fail_unless_empty(
    rt: Runtime, info: ChangeSetInfo, draft: ChangeSetRef, deadline: Deadline
) -> None:
    """A change set with no changes is removed; any other failure is raised."""
    if change_set_has_no_changes(info.reason):
        report(rt, discard(rt, draft))
        return
    name = rt.config.stack_name
    path, reason = explain_failure(rt, info, deadline, name)
    raise DeployFailedError(
        f"change set for {name} failed in {path}: {reason}",
        hint="nothing was executed; fix the template or parameters and run again",
    )


def read_tree(rt: Runtime, info: ChangeSetInfo, deadline: Deadline) -> tuple[ChangeNode, ...]:
    def fetch(nested_id: str) -> Sequence[Mapping[str, Any]]:
        return wait_for_change_set(rt, nested_id, deadline).changes

    return tuple(build_tree(rt.config.stack_name, info.changes, fetch))


def got_there_first(rt: Runtime, doing: str) -> PreflightError:
    """Another operation changed the stack while this run was ``doing`` something."""
    name = rt.config.stack_name
    stack = rt.stacks.describe(name)
    state = f"it is {stack.status}" if stack else "it is gone again"
    return PreflightError(
        f"another operation got to {name} first while this run was {doing}: {state}; "
        "this run executed nothing",
        hint=f"{follow_hint(rt, name)}; then run up again: it waits for a stack in progress "
        "and updates it",
    )


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


def start_execution(rt: Runtime, change_set: ChangeSetRef, deadline: Deadline) -> str | None:
    """Execute the change set; returns the event id a watch of the execution starts after.

    An ExecuteChangeSet that got no valid answer may still have started: the change set's
    execution status decides, so a started execution is followed, not cleaned up.
    """
    marker = newest_event_id(rt, change_set.stack_id, deadline)
    try:
        rt.stacks.execute_change_set(change_set.change_set_id)
    except AwsCallError as err:
        if err.code in ("InvalidChangeSetStatus", "ChangeSetNotFound"):
            raise got_there_first(rt, "about to execute its change set") from err
        if not err.failure.maybe_done:
            raise
        execution = wait_for_change_set(rt, change_set.change_set_id, deadline).execution_status
        if execution not in STARTED:
            raise
        rt.progress.line(f"execute change set: {err.failure.value}, yet it is {execution}")
    return marker


@dataclass
class Cleanup:
    """What a discard removed, and what it left with the command that removes it."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # not ours alone: said, never removed
    left: list[tuple[str, str, str]] = field(default_factory=list)  # (what, why, command)

    def lines(self) -> list[str]:
        done = [f"removed {what}" for what in self.removed] + self.kept
        return done + [f"could not remove {what}: {why}; remove it yourself: {command}"
                       for what, why, command in self.left]  # fmt: skip


class ChangeSetScope:
    """Until :meth:`release` (execution started, or a plan kept it), any failure removes the
    change set (``owned``: this run made it); Ctrl-C becomes :class:`Interrupted` saying what
    was removed or kept."""

    def __init__(self, rt: Runtime, change_set: ChangeSetRef | None, owned: bool = True) -> None:
        self.rt, self.change_set, self.owned = rt, change_set, owned
        self.released = False

    def release(self) -> None:
        self.released = True

    def __enter__(self) -> ChangeSetScope:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        if err is None or self.released or isinstance(err, Interrupted):
            return
        cleanup = Cleanup()
        if self.change_set is not None and self.owned:
            cleanup = discard(self.rt, self.change_set)
        if isinstance(err, KeyboardInterrupt):
            raise Interrupted(cleanup.lines() + self._kept()) from err
        report(self.rt, cleanup)

    def _kept(self) -> list[str]:
        if self.change_set is None or self.owned:
            return []
        return [f"kept the reviewed change set {self.change_set.change_set_id}: nothing was "
                "executed, run the same `up --plan` again"]  # fmt: skip


def discard(rt: Runtime, change_set: ChangeSetRef) -> Cleanup:
    """Delete the change set and the REVIEW_IN_PROGRESS stack this run made (best effort)."""
    cs_id, region, cleanup = change_set.change_set_id, rt.config.region, Cleanup()
    try:
        if rt.stacks.delete_change_set(cs_id):
            cleanup.removed.append(f"change set {cs_id}")
        else:
            cleanup.kept.append(f"change set {cs_id} was already gone")
    except DeployError as err:
        command = f"aws cloudformation delete-change-set --change-set-name {cs_id}"
        command += f" --region {region}"
        cleanup.left.append((f"change set {cs_id}", err.message, command))
    if not change_set.made_stack:
        return cleanup
    stack_id = change_set.stack_id
    try:
        stack = rt.stacks.describe(stack_id)
        if stack is None or stack.status != "REVIEW_IN_PROGRESS":
            return cleanup
        others = [c for c in rt.stacks.change_set_ids(stack.stack_id) if c != cs_id]
        if others:  # another run's CREATE change set joined the stack: it is not ours alone
            cleanup.kept.append(f"kept the empty stack {stack.name} (REVIEW_IN_PROGRESS): "
                                f"it also holds {', '.join(others)} of another run")  # fmt: skip
            return cleanup
        rt.stacks.delete_stack(stack.stack_id)
        cleanup.removed.append(f"the empty stack {stack.name} (REVIEW_IN_PROGRESS) it made")
    except DeployError as err:
        command = f"aws cloudformation delete-stack --stack-name {stack_id} --region {region}"
        cleanup.left.append((f"stack {stack_id}", err.message, command))
    return cleanup


def report(rt: Runtime, cleanup: Cleanup) -> None:
    """What a cleanup kept, and its warnings (a complete one is silent: nothing is left)."""
    for line in cleanup.kept:
        rt.progress.line(line)
    for what, why, command in cleanup.left:
        rt.progress.line(f"warning: could not remove {what}: {why}")
        rt.progress.line(f"  remove it yourself: {command}")
