"""Findings as text: one line each, ``file:line:column: severity RULE message``.

The shape compilers and linters print, so editors and CI annotators jump to the place. The
closing line counts them and says what was checked; it is the whole output of a clean run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from deployer.findings import Finding, Severity

COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_finding(finding: Finding) -> str:
    return f"{finding.location}: {finding.severity.value} {finding.rule} {finding.message}"


def render_findings(findings: Iterable[Finding]) -> str:
    return "\n".join(render_finding(f) for f in findings)


def render_check_summary(counts: Mapping[str, int], seconds: float, reused: bool) -> str:
    errors, warnings = counts.get("errors", 0), counts.get("warnings", 0)
    verdict = "ok" if not errors else f"{errors} error{'s' * (errors != 1)}"
    if warnings:
        verdict += f", {warnings} warning{'s' * (warnings != 1)}"
    checked = (f"{counts.get('templates', 0)} templates, {counts.get('functions', 0)} "
               f"functions and the env's values")  # fmt: skip
    when = "unchanged since the last check" if reused else f"{seconds:.1f} s"
    return f"validate: {verdict} ({checked}; {when})"
