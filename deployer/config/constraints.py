"""What a template parameter accepts, read from its declaration, and a value checked against it.

The templates are the one source of truth for every value the env passes: ``Type``,
``AllowedValues``, ``AllowedPattern``, ``MinLength``/``MaxLength`` and
``MinValue``/``MaxValue``, checked the way CloudFormation checks them (a pattern must match
the whole value; lengths for strings, bounds for numbers; a ``CommaDelimitedList`` element by
element). Nothing here knows a parameter by name: change a template and the check follows.

Types CloudFormation resolves against the account (``AWS::EC2::…``, ``AWS::SSM::…``) can
only be checked by CloudFormation; they pass here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str
    file: str  # the template that declares it
    line: int | None
    default: str | None
    allowed_values: tuple[str, ...] | None = None
    allowed_pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    description: str | None = None  # ConstraintDescription, shown with a refusal

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def declared_parameters(template: Mapping[str, Any], file: str) -> dict[str, ParameterSpec]:
    """The template's ``Parameters`` section as specs (declarations that are not mappings are
    cfn-lint's to report)."""
    section = template.get("Parameters")
    if not isinstance(section, Mapping):
        return {}
    specs = {}
    for name, decl in section.items():
        if isinstance(decl, Mapping):
            specs[str(name)] = _spec(str(name), decl, file, _line(name))
    return specs


def _spec(name: str, decl: Mapping[str, Any], file: str, line: int | None) -> ParameterSpec:
    allowed = decl.get("AllowedValues")
    return ParameterSpec(
        name=name,
        type=str(decl.get("Type", "String")),
        file=file,
        line=line,
        default=_text(decl["Default"]) if "Default" in decl else None,
        allowed_values=tuple(_text(v) for v in allowed) if isinstance(allowed, list) else None,
        allowed_pattern=_optional(decl, "AllowedPattern", str),
        min_length=_optional(decl, "MinLength", int),
        max_length=_optional(decl, "MaxLength", int),
        min_value=_optional(decl, "MinValue", float),
        max_value=_optional(decl, "MaxValue", float),
        description=_optional(decl, "ConstraintDescription", str),
    )


def problems(spec: ParameterSpec, value: str) -> list[str]:
    """Why CloudFormation would refuse ``value`` for this parameter (empty: it would not)."""
    kind = spec.type.replace(" ", "")
    if kind == "String":
        found = _string_problems(spec, value)
    elif kind == "Number":
        found = _number_problems(spec, value)
    elif kind in ("CommaDelimitedList", "List<Number>"):
        items = value.split(",")
        check = _number_problems if kind == "List<Number>" else _list_item_problems
        found = [f"item {item!r}: {p}" for item in items for p in check(spec, item.strip())]
    else:  # AWS-specific and SSM types: only CloudFormation can resolve them
        return []
    if found and spec.description:
        found[-1] += f" ({spec.description})"
    return found


def _string_problems(spec: ParameterSpec, value: str) -> list[str]:
    found = _allowed(spec, value) + _pattern(spec, value)
    if spec.min_length is not None and len(value) < spec.min_length:
        found.append(f"is {len(value)} characters, shorter than MinLength {spec.min_length}")
    if spec.max_length is not None and len(value) > spec.max_length:
        found.append(f"is {len(value)} characters, longer than MaxLength {spec.max_length}")
    return found


def _list_item_problems(spec: ParameterSpec, value: str) -> list[str]:
    return _allowed(spec, value) + _pattern(spec, value)


def _number_problems(spec: ParameterSpec, value: str) -> list[str]:
    if not NUMBER.match(value.strip()):
        return [f"is not a number (parameter type {spec.type})"]
    number = float(value)
    found = _allowed(spec, value)
    if spec.min_value is not None and number < spec.min_value:
        found.append(f"is below MinValue {_number(spec.min_value)}")
    if spec.max_value is not None and number > spec.max_value:
        found.append(f"is above MaxValue {_number(spec.max_value)}")
    return found


def _allowed(spec: ParameterSpec, value: str) -> list[str]:
    if spec.allowed_values is None or value in spec.allowed_values:
        return []
    return [f"is not one of the AllowedValues {', '.join(spec.allowed_values)}"]


def _pattern(spec: ParameterSpec, value: str) -> list[str]:
    if spec.allowed_pattern is None:
        return []
    try:
        matched = re.fullmatch(spec.allowed_pattern, value) is not None
    except re.error:  # a pattern Python cannot read: CloudFormation (Java) is the judge
        return []
    return [] if matched else [f"does not match AllowedPattern {spec.allowed_pattern}"]


def _optional(decl: Mapping[str, Any], key: str, kind: type) -> Any:
    value = decl.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):  # cfn-lint reports a malformed declaration
        return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _line(node: Any) -> int | None:
    """1-based line of a node cfn-lint decoded (its marks are 0-based)."""
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else None
