"""A saved plan (``plan --save FILE``) as JSON, and back (pure).

The file is what a reviewer approves and what ``up --plan FILE`` executes; it is not trusted
beyond naming things: ``up --plan`` checks every fact in it against the account (the change
set's own template, parameters and tags, the stack) and the tree before executing anything.
It holds no secret and no message body: parameter values a template declares ``NoEcho``
are masked before they enter a plan, and a plan never carries credentials, endpoints'
answers or items. ``FORMAT`` names the layout; a file of another layout is refused (exit 2)
rather than half-read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from deployer.cfn.changes import ChangeNode
from deployer.cfn.plan import (
    ChangeSetRef,
    ExecuteChangeSet,
    Plan,
    SetTerminationProtection,
    StackAction,
    StackSnapshot,
    Step,
    Target,
    UpdateWithoutChangeSet,
    ValueChange,
)
from deployer.errors import ConfigError

FORMAT = "disa-deploy plan 1"


def plan_to_json(plan: Plan, created_at: str, tool_version: str) -> str:
    document = {
        "format": FORMAT,
        "created_at": created_at,
        "tool_version": tool_version,
        "target": vars(plan.target),
        "action": plan.action.value,
        "template_sha256": plan.template_sha256,
        "artifacts": [{"name": n, "key": k} for n, k in plan.artifacts],
        "parameters": dict(plan.parameters),
        "tags": dict(plan.tags),
        "termination_protection": plan.termination_protection,
        "parameter_changes": [c.as_dict() for c in plan.parameter_changes],
        "tag_changes": [c.as_dict() for c in plan.tag_changes],
        "protection_change": plan.protection_change.as_dict() if plan.protection_change else None,
        "changes": [node.as_dict() for node in plan.changes],
        "steps": [_step_dict(step) for step in plan.steps],
        "stack": vars(plan.stack) if plan.stack else None,
        "note": plan.note,
    }
    return json.dumps(document, indent=2) + "\n"


def plan_from_json(text: str, source: str) -> Plan:
    """The plan a file holds; ConfigError (exit 2) naming the file if it is not one."""
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
            raise ConfigError(f"{source}: not a disa-deploy plan of format {FORMAT!r} "
                              f"(found {found!r})")  # fmt: skip
        return _plan(raw)
    except ConfigError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ConfigError(
            f"{source}: not a readable plan ({type(err).__name__}: {err})",
            hint="write it with `disa-deploy plan --save FILE`, and do not edit it",
        ) from err


def _plan(raw: Mapping[str, Any]) -> Plan:
    stack = raw["stack"]
    protection = raw["protection_change"]
    return Plan(
        target=Target(**raw["target"]),
        action=StackAction(raw["action"]),
        template_sha256=str(raw["template_sha256"]),
        artifacts=tuple((str(a["name"]), str(a["key"])) for a in raw["artifacts"]),
        parameters=tuple(sorted((str(k), str(v)) for k, v in raw["parameters"].items())),
        tags=tuple(sorted((str(k), str(v)) for k, v in raw["tags"].items())),
        termination_protection=bool(raw["termination_protection"]),
        parameter_changes=tuple(_change(c) for c in raw["parameter_changes"]),
        tag_changes=tuple(_change(c) for c in raw["tag_changes"]),
        protection_change=_change(protection) if protection else None,
        changes=tuple(ChangeNode.from_dict(node) for node in raw["changes"]),
        steps=tuple(_step(s) for s in raw["steps"]),
        stack=StackSnapshot(**stack) if stack else None,
        note=str(raw.get("note", "")),
    )


def _change(raw: Mapping[str, Any]) -> ValueChange:
    return ValueChange(raw["name"], raw["old"], raw["new"], tuple(raw["touches"]))


def _step_dict(step: Step) -> dict[str, Any]:
    match step:
        case ExecuteChangeSet(change_set=ref):
            return {"step": "execute_change_set", **vars(ref)}
        case UpdateWithoutChangeSet():
            return {"step": "update_without_change_set"}
        case SetTerminationProtection(enabled=enabled):
            return {"step": "set_termination_protection", "enabled": enabled}


def _step(raw: Mapping[str, Any]) -> Step:
    kind = raw["step"]
    if kind == "execute_change_set":
        fields = {k: v for k, v in raw.items() if k != "step"}
        return ExecuteChangeSet(ChangeSetRef(**fields))
    if kind == "update_without_change_set":
        return UpdateWithoutChangeSet()
    if kind == "set_termination_protection":
        return SetTerminationProtection(bool(raw["enabled"]))
    raise ValueError(f"unknown step {kind!r}")
