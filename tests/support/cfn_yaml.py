"""Load CloudFormation YAML for tests, keeping intrinsic functions as plain data.

A SafeLoader subclass maps `!Ref x` to {"Ref": "x"}, `!GetAtt A.B` to
{"Fn::GetAtt": ["A", "B"]} and `!Sub`/`!If`/... to {"Fn::Sub": ...}, the same shape as the
JSON form of a template. The global yaml loader is never touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CFT = ROOT / "cft"


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form intrinsic tags."""


def _construct(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct)


def load_template(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass
    assert isinstance(data, dict), f"{path} is not a template"
    return data


def all_template_paths() -> list[Path]:
    return sorted(CFT.rglob("*.yaml"))
