"""Use cases return results and never render: only ``deployer/cli`` and ``deployer/ui`` turn
results into text or the JSON summary. A use case reports progress through ``rt.progress``
and nothing else; it neither imports the output layer nor touches ``rt.ui``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

USECASES = sorted((Path(__file__).resolve().parents[3] / "deployer" / "usecases").glob("*.py"))


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            modules = []
        found += [f"imports {m}" for m in modules if m.startswith(("deployer.ui", "deployer.cli"))]
        if isinstance(node, ast.Attribute) and node.attr == "ui":
            found.append(f"line {node.lineno}: touches .ui")
        if isinstance(node, ast.Name) and node.id == "Summary":
            found.append(f"line {node.lineno}: fills the JSON summary")
    return found


@pytest.mark.parametrize("path", USECASES, ids=[p.stem for p in USECASES])
def test_a_use_case_never_renders(path: Path) -> None:
    assert offences(path) == []
