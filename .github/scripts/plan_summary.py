"""Render `disa-deploy plan --output json` summaries as Markdown for a GitHub job summary.

Usage: python .github/scripts/plan_summary.py SUMMARY.json [...] >> "$GITHUB_STEP_SUMMARY"

Each summary becomes a heading with the outcome (the plan's action, no changes, or the
error and exit code), the change tree (one line per resource, nested stacks indented under
their stack, replacements called out) and every parameter, tag and termination-protection
value that changes, old -> new: a change of values only is shown, never "No changes". A
missing or unreadable file is reported, not fatal, so a failed plan still leaves a readable
summary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ACTION_MARKS = {"Add": "+", "Modify": "~", "Remove": "-", "Import": ">", "Dynamic": "?"}


def render_changes(changes: list[dict[str, Any]], depth: int = 0) -> list[str]:
    lines = []
    for change in changes:
        mark = ACTION_MARKS.get(change.get("action", ""), "?")
        replacement = change.get("replacement") or ""
        note = f" **replacement: {replacement}**" if replacement in ("True", "Conditional") else ""
        lines.append(
            f"{'  ' * depth}- `{mark}` {change.get('action', '')} "
            f"`{change.get('logical_id', '')}` ({change.get('type', '')}){note}"
        )
        lines.extend(render_changes(change.get("children") or [], depth + 1))
    return lines


def render_values(plan: dict[str, Any]) -> list[str]:
    """Parameters, tags and termination protection that change (old -> new)."""
    lines: list[str] = []
    for title, key in (("Parameters", "parameters"), ("Tags", "tags")):
        changes = plan.get(key) or []
        if changes:
            lines += ["", f"{title} (deployed -> this deploy):", ""]
        for change in changes:
            old, new = _shown(change.get("old")), _shown(change.get("new"))
            lines.append(f"- `{change.get('name', '')}`: {old} -> {new}")
            lines += [f"  - reaches {where}" for where in change.get("touches") or []]
    protection = plan.get("termination_protection")
    if protection:
        old, new = protection.get("old"), protection.get("new")
        lines += ["", f"Termination protection: {old} -> {new}"]
    return lines


def _shown(value: Any) -> str:
    return "(none)" if value is None else f"`{value}`"


def render_summary(path: Path) -> str:
    title = f"### disa-deploy plan: {path.stem}"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"{title}\n\nNo plan summary ({err.__class__.__name__}: {err}).\n"
    title = f"### disa-deploy plan --env {summary.get('env', path.stem)}"
    if summary.get("exit_code", 0) != 0:
        error = summary.get("error") or "(no message)"
        return f"{title}\n\nFailed with exit code {summary['exit_code']}: {error}\n"
    details = summary.get("details", {})
    plan = details.get("plan") or {}
    changes = details.get("changes") or []
    values = render_values(plan)
    if plan.get("action") == "NOOP" or not (summary.get("changed") or changes or values):
        return f"{title}\n\nNo changes: the environment already matches this tree.\n"
    lines = [title, ""]
    if plan.get("action"):
        lines += [f"Action: {plan['action']}" + (f" ({plan['note']})" if plan.get("note") else "")]
    if changes:
        counts = ", ".join(
            f"{k.removeprefix('changes_')} {v}"
            for k, v in sorted(summary.get("counts", {}).items())
            if k.startswith("changes_")
        )
        lines += ["", f"Changes ({counts}):", "", *render_changes(changes)]
    return "\n".join([*lines, *values, ""])


def main(argv: list[str]) -> int:
    print("\n".join(render_summary(Path(arg)) for arg in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
