"""Which resources a root parameter reaches, through the nested stacks (pure).

A root parameter is passed down by a nested stack's ``Parameters`` (``MaxAttempts: !Ref
MaxAttempts``) and used there by resources (``!Ref``, or ``${Name}`` in ``!Sub``). This
module follows those references template by template, so ``plan`` can say, for a changed
parameter, which nested stacks and resources it touches: the same answer on AWS and on the
emulator, whether or not CloudFormation lists nested changes. Conditions and outputs that
use a parameter are not followed (DISA's templates change no resource through them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from deployer.cfn.template import Tagged

SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)\}")
NESTED = "AWS::CloudFormation::Stack"
MAX_DEPTH = 10

LoadNested = Callable[[str], Mapping[str, Any] | None]  # TemplateURL -> template, if known


def parameter_reach(
    template: Mapping[str, Any], names: Iterable[str], path: str, load: LoadNested
) -> dict[str, tuple[str, ...]]:
    """For each of ``names`` (parameters of ``template``), the resources it reaches, as
    ``"<stack path>: <logical id> (<type>)"``, nested stacks followed down to their users."""
    return {name: tuple(_reach(template, name, path, load, 0)) for name in names}


def _reach(
    template: Mapping[str, Any], name: str, path: str, load: LoadNested, depth: int
) -> list[str]:
    found: list[str] = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, Mapping) or name not in references(resource):
            continue
        rtype = str(resource.get("Type", ""))
        here = f"{path}: {logical_id} ({rtype})"
        if rtype != NESTED or depth >= MAX_DEPTH:
            found.append(here)
            continue
        deeper = _through_nested(resource, name, f"{path}/{logical_id}", load, depth)
        found.extend(deeper or [here])
    return found


def _through_nested(
    resource: Mapping[str, Any], name: str, path: str, load: LoadNested, depth: int
) -> list[str]:
    properties = resource.get("Properties") or {}
    child = load(str(properties.get("TemplateURL", "")))
    if child is None:
        return []
    found: list[str] = []
    for child_name, value in (properties.get("Parameters") or {}).items():
        if name in references(value):
            found.extend(_reach(child, str(child_name), path, load, depth + 1))
    return found


def references(value: Any) -> set[str]:
    """Every name ``value`` refers to by ``Ref`` or in a ``Sub`` string."""
    names: set[str] = set()
    _collect(value, names)
    return names


def _collect(value: Any, names: set[str]) -> None:
    if isinstance(value, Tagged):
        if value.tag == "Ref" and isinstance(value.value, str):
            names.add(value.value)
        elif value.tag == "Sub":
            _collect_sub(value.value, names)
        else:
            _collect(value.value, names)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                names.add(item)
            elif key == "Fn::Sub":
                _collect_sub(item, names)
            else:
                _collect(item, names)
    elif isinstance(value, list):
        for item in value:
            _collect(item, names)


def _collect_sub(value: Any, names: set[str]) -> None:
    text = value[0] if isinstance(value, list) and value else value
    if isinstance(text, str):
        names.update(SUB_NAME.findall(text))
    if isinstance(value, list) and len(value) > 1:
        _collect(value[1], names)
