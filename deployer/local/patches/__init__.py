"""The registry of what the emulator adds to moto: one module per gap, each a :class:`Patch`.

Every module in :data:`REGISTRY` opens with what moto lacks and what the patch does, and ends
with ``PATCH = Patch(...)``: its name, the moto internals it relies on (``requires``, module
and dotted attribute; ``fields``, instance attributes moto sets in ``__init__``, by class
name) and its ``install``. The rules it keeps:

- importing a patch module changes nothing; only ``install`` does (model classes included,
  since moto finds CloudFormation models through ``__subclasses__``);
- ``install`` replaces moto attributes only through :meth:`Installer.replace`, which refuses
  an attribute that is not there and remembers the original, so :func:`installed` can undo a
  patch for an in-process test;
- :func:`missing_internals` (and the guard test, with ``fields``) name any internal a moto
  upgrade moved, so the failure names the attribute instead of surfacing as a wrong result.

``install_all`` runs in the emulator process only, before the server takes requests.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REGISTRY: tuple[str, ...] = (
    "lambda_workers",
    "stream_mappings",
    "nested_stacks",
    "state_machines",
    "sfn_reuse",
    "schedules",
    "cfn_resources",
    "stack_execution",
    "retain_except_on_create",
    "change_sets",
    "change_set_lookups",
    "termination_protection",
    "cfn_model_fixes",
    "s3_public_access",
    "holdings",
    "routing_cache",
)
_MISSING = object()


@dataclass(frozen=True)
class Settings:
    """What patches need to know about the emulator they run in."""

    endpoint: str = "http://127.0.0.1:5000"
    state_dir: Path = Path(".")
    start_threads: bool = True  # False in an in-process test: no poller, scheduler, heartbeat


class Installer:
    """Applies patches and remembers how to undo them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._undo: list[Callable[[], None]] = []

    def replace(self, owner: object, name: str, value: object) -> None:
        """Swap one moto attribute for a patch's version; refuses one that is not there."""
        if not hasattr(owner, name):
            raise AttributeError(f"moto moved {getattr(owner, '__name__', owner)}.{name}")
        self.add(owner, name, value)

    def add(self, owner: object, name: str, value: object) -> None:
        """Set an attribute moto does not define at all (say why where it is used)."""
        original = vars(owner).get(name, _MISSING) if hasattr(owner, "__dict__") else _MISSING
        setattr(owner, name, value)
        self.on_undo(lambda: _restore(owner, name, original))

    def on_undo(self, action: Callable[[], None]) -> None:
        self._undo.append(action)

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()


def _restore(owner: object, name: str, original: object) -> None:
    if original is _MISSING:
        delattr(owner, name)
    else:
        setattr(owner, name, original)


@dataclass(frozen=True)
class Patch:
    name: str
    requires: tuple[tuple[str, str], ...]
    install: Callable[[Installer], None]
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)


def patches(names: tuple[str, ...] = REGISTRY) -> list[Patch]:
    found = []
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        patch = module.PATCH
        assert isinstance(patch, Patch) and patch.name == name, name
        found.append(patch)
    return found


def required_internals() -> list[tuple[str, str]]:
    return [internal for patch in patches() for internal in patch.requires]


def required_fields() -> dict[str, set[str]]:
    """Instance attributes the patches read, by moto class name."""
    merged: dict[str, set[str]] = {}
    for patch in patches():
        for kind, names in patch.fields.items():
            merged.setdefault(kind, set()).update(names)
    return merged


def missing_internals() -> list[str]:
    """Every required ``module:attribute`` that this moto does not have."""
    missing = []
    for module_name, path in required_internals():
        try:
            target: object = importlib.import_module(module_name)
        except ImportError:
            missing.append(f"{module_name} (module)")
            continue
        for part in path.split("."):
            if not hasattr(target, part):
                missing.append(f"{module_name}:{path}")
                break
            target = getattr(target, part)
    return missing


def install_all(settings: Settings) -> Installer:
    installer = Installer(settings)
    for patch in patches():
        patch.install(installer)
    return installer


@contextmanager
def installed(*names: str, settings: Settings | None = None) -> Iterator[Installer]:
    """Some patches installed in this process for the duration (tests on in-process moto)."""
    installer = Installer(settings or Settings(start_threads=False))
    try:
        for patch in patches(names):
            patch.install(installer)
        yield installer
    finally:
        installer.undo()
