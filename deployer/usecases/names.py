"""Where an env's parts are, by the contract's names, and the handlers' own item model.

Every physical name is ``<project>-<env>-<part>`` (the templates' rule, tested there), so
the operate commands find a function's log group or the state machine without a call.
Only the state machine's ARN comes from the root stack's output, since it holds the
partition, region and account the tool would otherwise have to guess.

The item model (attribute names, status words, execution naming) is not copied here: it is
``code/python/disa_common/model.py``, the module the handlers run with, imported from the
project tree. So ``trace`` derives an item's execution names with the very function that
named them, and a change there is a change here. ``redrive`` loads the retry function's
claim and start (``disa_common/redrive.py``) the same way.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from deployer.config.project import Project
from deployer.errors import ConfigError
from deployer.gateways.runs import RunCode

# The --function words of `logs` and the contract suffix of each function's name.
FUNCTIONS = {"init": "init-process", "process": "process", "retry": "retry"}
STATES = "states"  # the state machine's log group, in the same lists as the functions


@dataclass(frozen=True)
class SystemNames:
    project: str
    env: str

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.env}"

    @property
    def table(self) -> str:
        return f"{self.prefix}-messages"

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-state-machine"

    def function(self, word: str) -> str:
        return f"{self.prefix}-{FUNCTIONS[word]}"

    def log_group(self, word: str) -> str:
        """The log group of a function word, or of the state machine for ``states``."""
        if word == STATES:
            return f"/aws/vendedlogs/states/{self.state_machine}"
        return f"/aws/lambda/{self.function(word)}"


def log_sources(function: str) -> tuple[str, ...]:
    """The source words ``logs --function`` reads: one function, or all and the states."""
    return (*FUNCTIONS, STATES) if function == "all" else (function,)


def execution_arn(state_machine_arn: str, name: str) -> str:
    """An execution's ARN: the state machine's, with ``execution`` and the name."""
    head, _, machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{head}:execution:{machine}:{name}"


class ItemModel:
    """``disa_common.model`` of the project tree, loaded once, with typed accessors."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def execution_name(self, item_key: str, request: str, run: int) -> str:
        return str(self.module.execution_name(item_key, request, run))

    def request_of(self, item_key: str, recorded: object) -> str:
        """The token of the item's current request: the one it records, else the token of
        requests started before tokens existed (their names are derived from the key)."""
        if isinstance(recorded, str) and recorded:
            return recorded
        return str(self.module.legacy_token(item_key))

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(str(status.value) for status in self.module.Status)

    @property
    def retry_index(self) -> str:
        return str(self.module.RETRY_INDEX)

    def attribute(self, name: str) -> str:
        """An attribute's name by its model constant, e.g. ``attribute("NEXT_ATTEMPT_AT")``."""
        return str(getattr(self.module, name))


def load_item_model(project: Project) -> ItemModel:
    return ItemModel(_load(project, "model"))


def load_run_code(project: Project) -> RunCode:
    """The retry function's claim and start (``disa_common.redrive``) and what runs them."""
    modules = {name: _load(project, name) for name in ("redrive", "kit", "container", "settings")}
    return RunCode(**modules)


def _load(project: Project, name: str) -> ModuleType:
    source = project.root / "code" / "python"
    if not (source / "disa_common" / f"{name}.py").is_file():
        raise ConfigError(
            f"{source}/disa_common/{name}.py not found: DISA's item model and run starter "
            "come from the project",
            hint="run from the project checkout or pass --project-dir",
        )
    module: ModuleType = _import(f"disa_common.{name}", str(source))
    return module


def _import(name: str, path: str) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, path)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(path)
