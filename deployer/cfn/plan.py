"""The plan: what ``up`` will do to an env's stack, worked out before anything is done.

``plan`` and ``up`` make the same :class:`Plan` (Chalice's planner → executor split): a
frozen value naming the stack action, what would be deployed (the packaged tree by hash, the
parameters, tags and termination protection), how that differs from what is deployed, the
change tree CloudFormation computed and the stateful changes the guard refuses, and the
steps an executor runs. ``plan`` renders it (and may save it, :mod:`deployer.cfn.plan_file`);
``up`` renders it, then runs its steps; ``up --plan FILE`` runs the steps of a saved one
once nothing it was made from has moved.

The no-op rule: :attr:`StackAction.NOOP` only when the deployed template (compared as text:
packaging is content-addressed, so equal root text means an equal tree), every parameter
value (template defaults included), the tags and termination protection all equal what
would be deployed. Anything else is deployed: by a change set; by UpdateStack when a change
set comes back "no changes" although a value differs (:class:`UpdateWithoutChangeSet`); and
termination protection, which no change set carries, by its own call.

Pure: no AWS calls, no I/O. Parameter values a template declares ``NoEcho`` are masked here
(:data:`MASK`) before they enter a plan, so a plan never holds one.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployer.cfn.changes import ChangeNode, refused_changes

MASK = "****"


class StackAction(enum.Enum):
    CREATE = "CREATE"  # no stack yet (or one still in review): a CREATE change set
    UPDATE = "UPDATE"  # the stack exists and something differs
    RECREATE = "RECREATE"  # a failed create (ROLLBACK_COMPLETE): delete it, then CREATE
    NOOP = "NOOP"  # template, parameters, tags and termination protection all equal


@dataclass(frozen=True)
class ValueChange:
    """One value that differs: a parameter, a tag, or termination protection."""

    name: str
    old: str | None  # None: not there before
    new: str | None  # None: removed
    touches: tuple[str, ...] = ()  # resources it reaches: "disa-dev/LambdaStack: Fn (type)"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "old": self.old, "new": self.new,
                "touches": list(self.touches)}  # fmt: skip


@dataclass(frozen=True)
class Target:
    """Which stack of which account a plan is for."""

    env: str
    project: str
    stack_name: str
    account_id: str
    region: str


@dataclass(frozen=True)
class StackSnapshot:
    """The stack as the plan saw it; any difference later means it moved since."""

    stack_id: str
    status: str
    last_updated: str
    template_sha256: str = ""  # "" when not read (a plan that is not saved needs no digest)


@dataclass(frozen=True)
class ChangeSetRef:
    change_set_id: str
    kind: str  # CREATE | UPDATE (CloudFormation's change set type)
    stack_id: str
    made_stack: bool = False  # a CREATE change set that made the REVIEW_IN_PROGRESS stack


@dataclass(frozen=True)
class ExecuteChangeSet:
    change_set: ChangeSetRef


@dataclass(frozen=True)
class UpdateWithoutChangeSet:
    """The change set came back "no changes" although a value differs: UpdateStack."""


@dataclass(frozen=True)
class SetTerminationProtection:
    enabled: bool


Step = ExecuteChangeSet | UpdateWithoutChangeSet | SetTerminationProtection


@dataclass(frozen=True)
class Plan:
    target: Target
    action: StackAction
    template_sha256: str  # the packaged root template
    artifacts: tuple[tuple[str, str], ...]  # (name, content-addressed key), children first
    parameters: tuple[tuple[str, str], ...]  # what is passed, NoEcho values masked
    tags: tuple[tuple[str, str], ...]
    termination_protection: bool
    parameter_changes: tuple[ValueChange, ...] = ()
    tag_changes: tuple[ValueChange, ...] = ()
    protection_change: ValueChange | None = None
    changes: tuple[ChangeNode, ...] = ()
    steps: tuple[Step, ...] = ()
    stack: StackSnapshot | None = None  # None: there was no stack
    note: str = ""  # why the plan holds no change set (a stack to recreate)

    @property
    def refused(self) -> tuple[ChangeNode, ...]:
        return tuple(refused_changes(self.changes))

    @property
    def change_set(self) -> ChangeSetRef | None:
        return next((s.change_set for s in self.steps if isinstance(s, ExecuteChangeSet)), None)

    @property
    def changed(self) -> bool:
        return self.action is not StackAction.NOOP

    def as_dict(self) -> dict[str, Any]:
        """The reviewable part (the JSON summary's ``details.plan``)."""
        change_set = self.change_set
        return {
            "action": self.action.value,
            "change_set": change_set.change_set_id if change_set else None,
            "parameters": [c.as_dict() for c in self.parameter_changes],
            "tags": [c.as_dict() for c in self.tag_changes],
            "termination_protection": (
                self.protection_change.as_dict() if self.protection_change else None
            ),
            "steps": [describe_step(step) for step in self.steps],
            "note": self.note,
        }


def describe_step(step: Step) -> str:
    match step:
        case ExecuteChangeSet(change_set=ref):
            return f"execute {ref.kind} change set {ref.change_set_id}"
        case UpdateWithoutChangeSet():
            return "update the stack directly (its change set listed no changes)"
        case SetTerminationProtection(enabled=enabled):
            return f"turn termination protection {'on' if enabled else 'off'}"


def value_changes(
    old: Mapping[str, str], new: Mapping[str, str], masked: frozenset[str] = frozenset()
) -> tuple[ValueChange, ...]:
    """Every name whose value differs, sorted; masked names show :data:`MASK` for values."""

    def shown(name: str, value: str | None) -> str | None:
        return MASK if value is not None and name in masked else value

    names = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    return tuple(ValueChange(n, shown(n, old.get(n)), shown(n, new.get(n))) for n in names)


def protection_change(deployed: bool | None, wanted: bool) -> ValueChange | None:
    """``deployed`` None: no stack yet (a new stack starts unprotected)."""
    before = bool(deployed)
    if before == wanted:
        return None
    words = {True: "on", False: "off"}
    return ValueChange("termination protection", words[before], words[wanted])


def masked(values: Mapping[str, str], no_echo: frozenset[str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, MASK if k in no_echo else v) for k, v in values.items()))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def with_touches(
    changes: Sequence[ValueChange], reach: Mapping[str, Sequence[str]]
) -> tuple[ValueChange, ...]:
    return tuple(ValueChange(c.name, c.old, c.new, tuple(reach.get(c.name, ()))) for c in changes)


@dataclass(frozen=True)
class Differences:
    """How the deployed stack differs from what would be deployed (template aside)."""

    parameters: tuple[ValueChange, ...] = field(default=())
    tags: tuple[ValueChange, ...] = field(default=())
    protection: ValueChange | None = None

    @property
    def values_differ(self) -> bool:
        """Parameters or tags: what a change set (or UpdateStack) carries."""
        return bool(self.parameters or self.tags)
