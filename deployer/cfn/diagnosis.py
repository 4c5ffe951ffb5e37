"""From a pile of stack events to the one failure that matters (pure).

A nested failure surfaces in the root stack as "Embedded stack … was not successfully
created" and a cascade of "Resource creation cancelled". The cause is the *deepest*
non-noise failed event: deepest stack path first, earliest time among those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from deployer.cfn.messages import is_noise
from deployer.gateways.cloudformation import StackEvent


@dataclass(frozen=True)
class PathEvent:
    path: str  # root stack name, then nested logical ids: "disa-dev/LambdaStack"
    event: StackEvent


@dataclass(frozen=True)
class RootCause:
    stack_path: str
    logical_id: str
    resource_type: str
    status: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def is_failure(status: str) -> bool:
    return status.endswith("_FAILED")


def depth(path: str) -> int:
    return path.count("/")


def find_root_cause(events: Iterable[PathEvent]) -> RootCause | None:
    failed = [pe for pe in events if is_failure(pe.event.status)]
    meaningful = [pe for pe in failed if not is_noise(pe.event.reason)]
    pool = meaningful or failed
    if not pool:
        return None
    best = min(pool, key=lambda pe: (-depth(pe.path), pe.event.timestamp))
    event = best.event
    return RootCause(best.path, event.logical_id, event.resource_type, event.status, event.reason)


def retained(events: Iterable[PathEvent]) -> list[PathEvent]:
    """Resources kept by a DeletionPolicy (Retain/RetainExceptOnCreate): DELETE_SKIPPED."""
    return [pe for pe in events if pe.event.status == "DELETE_SKIPPED"]
