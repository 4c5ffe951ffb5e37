"""pytest plugin that puts one mutant of a condition expression in place (tests/mutation/).

Loaded with ``-p tests.mutation.plugin``; reads DISA_MUTANT (JSON: ``site``, ``original``,
``mutated``). A handler site wraps disa_common.kit.update_item, so every write whose
condition is ``original`` is sent with ``mutated`` instead; an ASL site serves the state
machine definition with that condition replaced. Unused ``:value`` placeholders are dropped
as a correct implementation would, so a mutant is killed by behaviour, never by
DynamoDB's placeholder check.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from tests.mutation.conditions import placeholders

MUTANT = json.loads(os.environ["DISA_MUTANT"]) if os.environ.get("DISA_MUTANT") else None
ASL = pathlib.Path(__file__).resolve().parents[2] / "state-machine" / "state-machine.json"


def pytest_configure(config: Any) -> None:
    if MUTANT is None:
        return
    if MUTANT["site"] == "asl":
        _serve_mutated_asl()
    else:
        _wrap_update_item()


def _wrap_update_item() -> None:
    from disa_common import kit

    real = kit.update_item

    def update_item(deps, item_key, update, condition, values, returns="NONE"):  # type: ignore[no-untyped-def]
        if condition == MUTANT["original"]:
            condition = MUTANT["mutated"]
            used = placeholders(update + " " + condition)
            values = {k: v for k, v in values.items() if k in used}
        return real(deps, item_key, update, condition, values, returns)

    kit.update_item = update_item


def _serve_mutated_asl() -> None:
    definition = json.loads(ASL.read_text(encoding="utf-8"))
    params = definition["States"][MUTANT["state"]]["Parameters"]
    assert params["ConditionExpression"] == MUTANT["original"]
    params["ConditionExpression"] = MUTANT["mutated"]
    used = placeholders(params["UpdateExpression"] + " " + MUTANT["mutated"])
    for field in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        params[field] = {k: v for k, v in params[field].items() if k in used}
    text = json.dumps(definition, indent=2)
    real = pathlib.Path.read_text

    def read_text(self: pathlib.Path, *args: Any, **kwargs: Any) -> str:
        if self.resolve() == ASL:
            return text
        return real(self, *args, **kwargs)

    pathlib.Path.read_text = read_text  # type: ignore[method-assign]
