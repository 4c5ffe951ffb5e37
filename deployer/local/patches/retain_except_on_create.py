"""Patch: ``DeletionPolicy: RetainExceptOnCreate`` keeps the resource when its stack is deleted.

What moto lacks: ``ResourceMap.delete`` keeps only resources whose policy is exactly
``Retain``; a table or key with ``RetainExceptOnCreate`` (cft/nested-stacks/dynamodb-stack.yaml,
cft/artifact-store-stack.yaml) is deleted with its stack, which AWS never does.

What the patch does: on stack deletion, treats ``RetainExceptOnCreate`` as ``Retain``, as
AWS does for every operation but the rollback of the create that made the resource. moto
never rolls a failed create back, so that one exception has nothing to apply to locally
(the README lists rollbacks among what the emulator cannot show).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.parsing import ResourceMap

from deployer.local.patches import Installer, Patch

_ORIGINAL_DELETE = ResourceMap.delete
RETAINED_ON_DELETE = ("Retain", "RetainExceptOnCreate")


def install(installer: Installer) -> None:
    installer.replace(ResourceMap, "delete", delete_keeping_retained)


def delete_keeping_retained(self: Any) -> None:
    for resource in self._resource_json_map.values():
        if isinstance(resource, dict) and resource.get("DeletionPolicy") in RETAINED_ON_DELETE:
            resource["DeletionPolicy"] = "Retain"
    _ORIGINAL_DELETE(self)


PATCH = Patch(
    name="retain_except_on_create",
    requires=(("moto.cloudformation.parsing", "ResourceMap.delete"),),
    fields={"ResourceMap": ("_resource_json_map",)},
    install=install,
)
