"""The output layer: pure ``render_*`` functions, one small UI object, the JSON summary.

Results go to stdout, progress to stderr. With ``--output json`` stdout carries exactly one
JSON document (the :class:`Summary`), and what would have been results goes to stderr.
Colour only when stdout is a terminal and ``CI`` is unset; there are no spinners at all:
progress is plain lines, so CI logs read the same as a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

import click

from deployer.cfn.changes import ChangeNode
from deployer.cfn.diagnosis import PathEvent, RootCause
from deployer.usecases.consent import Confirm


def terminal_confirm() -> Confirm | None:
    """A yes/no prompt on the terminal, or None when there is no terminal to ask."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    return lambda prompt: click.confirm(prompt, err=True)


ACTION_COLOURS = {"Add": "green", "Modify": "yellow", "Remove": "red", "Import": "cyan"}


@dataclass
class Summary:
    command: str
    env: str
    changed: bool | None = None
    counts: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    root_cause: dict[str, str] | None = None
    durations: dict[str, float] = field(default_factory=dict)
    exit_code: int = 0
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)


@dataclass
class UI:
    out: TextIO
    err: TextIO
    json_mode: bool = False
    color: bool = False

    def progress(self, line: str) -> None:
        click.echo(line, file=self.err)

    def result(self, text: str) -> None:
        click.echo(text, file=self.err if self.json_mode else self.out)

    def style(self, text: str, colour: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=colour, bold=bold) if self.color else text

    def summary(self, summary: Summary) -> None:
        if self.json_mode:
            click.echo(summary.to_json(), file=self.out)


def render_change_tree(nodes: Sequence[ChangeNode], ui: UI, indent: str = "") -> str:
    lines = []
    for node in nodes:
        replace = f" replacement={node.replacement}" if node.replacement else ""
        action = ui.style(f"{node.action:<7}", ACTION_COLOURS.get(node.action))
        lines.append(f"{indent}{action} {node.logical_id} ({node.resource_type}){replace}")
        if node.children:
            lines.append(render_change_tree(node.children, ui, indent + "    "))
    return "\n".join(lines)


def render_event(item: PathEvent, width: int = 28) -> str:
    event = item.event
    when = event.timestamp.strftime("%H:%M:%S")
    reason = f"  {event.reason}" if event.reason else ""
    resource = f"{event.logical_id} ({event.resource_type})"
    return f"{when} {item.path:<{width}} {event.status:<30} {resource}{reason}"


def render_root_cause(cause: RootCause) -> str:
    return "\n".join(
        [
            "Root cause:",
            f"  stack:    {cause.stack_path}",
            f"  resource: {cause.logical_id} ({cause.resource_type})",
            f"  status:   {cause.status}",
            f"  reason:   {cause.reason or '(none given)'}",
        ]
    )


def render_mapping(title: str, values: Mapping[str, Any]) -> str:
    if not values:
        return f"{title}: (none)"
    width = max(len(k) for k in values)
    return "\n".join([f"{title}:", *(f"  {k:<{width}}  {v}" for k, v in values.items())])


def render_retained(items: Sequence[PathEvent]) -> str:
    if not items:
        return "Retained by policy: (none)"
    rows = [f"  {pe.path}: {pe.event.logical_id} ({pe.event.resource_type}) "
            f"{pe.event.physical_id}" for pe in items]  # fmt: skip
    return "\n".join(["Retained by policy (delete these yourself if no longer needed):", *rows])


def render_next_steps(env_flag: str, protected: bool) -> str:
    """What to try after an ``up``; ``env_flag`` is "" for the default env, else " --env X".

    A protected env (prod) is not offered a destroy: it is never the obvious next step.
    """
    steps = [f'disa-deploy send "hello"{env_flag}', f"disa-deploy status{env_flag}"]
    if not protected:
        steps.append(f"disa-deploy destroy{env_flag} --yes")
    return "next: " + " | ".join(steps)
