"""A change set, nested change sets included, as a tree; and the stateful-resource guard.

CloudFormation describes nested stacks' changes in change sets of their own, linked from the
parent's ``AWS::CloudFormation::Stack`` change by ``ChangeSetId``; :func:`build_tree`
follows those links through a fetch function, so this module stays pure.

The guard refuses a ``Remove``, or a ``Modify`` whose ``Replacement`` is ``True`` or
``Conditional``, of a stateful type (table, key, bucket): replacing one of those loses data
or makes encrypted data unreadable. ``Conditional`` is refused too: CloudFormation only
knows at execution time, which is too late.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

STATEFUL_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::S3::Bucket"})

FetchChanges = Callable[[str], Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class ChangeNode:
    path: str  # the stack the change belongs to
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str  # True | False | Conditional | "" (not applicable)
    children: tuple[ChangeNode, ...] = field(default=())

    @property
    def destructive(self) -> bool:
        return self.action == "Remove" or self.replacement in ("True", "Conditional")

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack": self.path,
            "action": self.action,
            "logical_id": self.logical_id,
            "type": self.resource_type,
            "replacement": self.replacement,
            "children": [c.as_dict() for c in self.children],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ChangeNode:
        """The inverse of :meth:`as_dict` (a saved plan's tree); KeyError if a field is missing."""
        return cls(
            path=str(raw["stack"]),
            action=str(raw["action"]),
            logical_id=str(raw["logical_id"]),
            resource_type=str(raw["type"]),
            replacement=str(raw["replacement"]),
            children=tuple(cls.from_dict(child) for child in raw["children"]),
        )


def build_tree(
    path: str, changes: Sequence[Mapping[str, Any]], fetch: FetchChanges
) -> list[ChangeNode]:
    nodes = []
    for change in changes:
        logical_id = str(change.get("LogicalResourceId", ""))
        nested_id = change.get("ChangeSetId")
        children: tuple[ChangeNode, ...] = ()
        if change.get("ResourceType") == "AWS::CloudFormation::Stack" and nested_id:
            children = tuple(build_tree(f"{path}/{logical_id}", fetch(str(nested_id)), fetch))
        nodes.append(
            ChangeNode(
                path=path,
                action=str(change.get("Action", "")),
                logical_id=logical_id,
                resource_type=str(change.get("ResourceType", "")),
                replacement=str(change.get("Replacement", "")),
                children=children,
            )
        )
    return nodes


def walk(nodes: Sequence[ChangeNode]) -> list[ChangeNode]:
    flat: list[ChangeNode] = []
    for node in nodes:
        flat.append(node)
        flat.extend(walk(node.children))
    return flat


def refused_changes(nodes: Sequence[ChangeNode]) -> list[ChangeNode]:
    return [n for n in walk(nodes) if n.resource_type in STATEFUL_TYPES and n.destructive]


def describe_refusal(nodes: Sequence[ChangeNode]) -> str:
    """The stateful changes the guard refuses, one per line (the refusal's message)."""
    rows = [f"  {n.path}: {n.action} {n.logical_id} ({n.resource_type}) "
            f"replacement={n.replacement or '-'}" for n in nodes]  # fmt: skip
    return "\n".join(["refusing to replace or remove stateful resources:", *rows])


def count_actions(nodes: Sequence[ChangeNode]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in walk(nodes):
        if node.resource_type != "AWS::CloudFormation::Stack" or not node.children:
            counts[node.action] = counts.get(node.action, 0) + 1
    return counts
