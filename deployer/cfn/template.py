"""CloudFormation YAML in and out, keeping the short-form intrinsic tags.

``!Ref``/``!GetAtt``/``!Sub``… are loaded as :class:`Tagged` values and dumped back in the
same short form, so a template survives ``load → rewrite → dump`` with its meaning intact.
The loader and dumper are private SafeLoader/SafeDumper subclasses: the global PyYAML
classes are never mutated (moto, cfn-lint and others register their own constructors on
them; touching them would make our output depend on import order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

INTRINSIC_TAGS = (
    "Ref", "GetAtt", "Sub", "If", "Equals", "Not", "And", "Or", "Join", "Select", "Split",
    "FindInMap", "ImportValue", "Condition", "GetAZs", "Base64", "Cidr", "Transform",
    "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll",
    "Length", "ToJsonString",
)  # fmt: skip


@dataclass(frozen=True)
class Tagged:
    """A short-form intrinsic: ``!Tag value`` (value is a scalar, list or mapping)."""

    tag: str
    value: Any


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form tags."""


class CfnDumper(yaml.SafeDumper):
    """SafeDumper that writes :class:`Tagged` back as short-form tags, keeping key order."""


def _construct(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> Tagged:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return Tagged(tag_suffix, value)


def _represent(dumper: CfnDumper, data: Tagged) -> yaml.Node:
    tag = f"!{data.tag}"
    if isinstance(data.value, list):
        return dumper.represent_sequence(tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(tag, data.value)
    return dumper.represent_scalar(tag, str(data.value))


def _represent_str(dumper: CfnDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _constructor(name: str) -> Callable[[CfnLoader, yaml.Node], Tagged]:
    return lambda loader, node: _construct(loader, name, node)


for _name in INTRINSIC_TAGS:
    CfnLoader.add_constructor(f"!{_name}", _constructor(_name))
CfnDumper.add_representer(Tagged, _represent)
CfnDumper.add_representer(str, _represent_str)
# Keep insertion order: templates read top-down (Parameters, Resources, Outputs).
CfnDumper.add_representer(
    dict, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data.items())
)


def load_template(text: str) -> dict[str, Any]:
    """Parse a CloudFormation template (YAML or JSON, which is YAML)."""
    data = yaml.load(text, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader
    if not isinstance(data, dict):
        raise ValueError("a CloudFormation template must be a mapping")
    return data


def dump_template(template: dict[str, Any]) -> str:
    """Serialise a template to YAML; the same input always gives the same text."""
    return yaml.dump(
        template, Dumper=CfnDumper, sort_keys=False, default_flow_style=False, width=1000
    )
