"""What a check of the tree finds: one :class:`Finding` per problem, and the error that
carries them.

Every check (cfn-lint over the templates, YAML/JSON syntax, the env's parameters against the
templates' declarations, schedule expressions, the handlers' compile and import) reports in
this one shape, so the CLI lists all of them together and ``--output json`` gives them as
one list. The rule kept here: a finding always names a file (or ``command line``) and, when
the problem has a place, the 1-based line and column in it; its message is a sentence, never
a parser's internal object.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deployer.errors import ConfigError

COMMAND_LINE = "command line"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str  # cfn-lint's rule id (E3002…), or one of ours: DISA-PARAM, DISA-HANDLER…
    file: str  # relative to the project root when inside it
    message: str
    line: int | None = None
    column: int | None = None

    @property
    def location(self) -> str:
        """``file:line:column`` as editors and compilers print it (parts that are known)."""
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        line, column = data.get("line"), data.get("column")
        return cls(
            Severity(str(data["severity"])),
            str(data["rule"]),
            str(data["file"]),
            str(data["message"]),
            line if isinstance(line, int) else None,
            column if isinstance(column, int) else None,
        )


def errors_in(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """By file, then place, then rule: the order a reader walks a tree in."""
    return sorted(findings, key=lambda f: (f.file, f.line or 0, f.column or 0, f.rule, f.message))


class InvalidTreeError(ConfigError):
    """The tree or the env's values would fail in CloudFormation or Lambda (exit 2)."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        errors = errors_in(findings)
        first = errors[0] if errors else None
        where = f"; first: {first.location}: {first.message}" if first else ""
        super().__init__(
            f"validate found {len(errors)} error{'s' if len(errors) != 1 else ''}{where}",
            hint="fix every finding listed above (`disa-deploy validate` lists them again); "
            "silence a cfn-lint rule for one template with Metadata: cfn-lint: config: "
            "ignore_checks",
        )
        self.findings = tuple(findings)
