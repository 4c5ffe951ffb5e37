"""Render `disa-deploy plan --output json` summaries as Markdown for a GitHub job summary.

Usage: python .github/scripts/plan_summary.py SUMMARY.json [...] >> "$GITHUB_STEP_SUMMARY"

Each summary becomes a heading with the outcome (changes, no changes, or the error and
exit code) and the change tree: one line per resource, nested stacks indented under their
stack, replacements called out. A missing or unreadable file is reported, not fatal, so a
failed plan still leaves a readable summary.
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
    changes = summary.get("details", {}).get("changes") or []
    if not summary.get("changed") or not changes:
        return f"{title}\n\nNo changes: the environment already matches this tree.\n"
    counts = ", ".join(
        f"{k.removeprefix('changes_')} {v}"
        for k, v in sorted(summary.get("counts", {}).items())
        if k.startswith("changes_")
    )
    return "\n".join([title, "", f"Changes ({counts}):", "", *render_changes(changes), ""])


def main(argv: list[str]) -> int:
    print("\n".join(render_summary(Path(arg)) for arg in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
