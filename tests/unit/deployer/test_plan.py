"""The plan as a value: differences, masking, where a parameter reaches, the saved file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deployer.cfn.changes import ChangeNode
from deployer.cfn.plan import (
    MASK,
    ChangeSetRef,
    ExecuteChangeSet,
    Plan,
    SetTerminationProtection,
    StackAction,
    StackSnapshot,
    Target,
    UpdateWithoutChangeSet,
    ValueChange,
    protection_change,
    value_changes,
)
from deployer.cfn.plan_file import FORMAT, plan_from_json, plan_to_json
from deployer.cfn.reach import parameter_reach, references
from deployer.cfn.template import Tagged, load_template
from deployer.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("case", "old", "new", "expected"),
    [
        ("equal", {"A": "1"}, {"A": "1"}, ()),
        ("changed", {"A": "1"}, {"A": "2"}, (ValueChange("A", "1", "2"),)),
        ("added", {}, {"A": "2"}, (ValueChange("A", None, "2"),)),
        ("removed", {"A": "1"}, {}, (ValueChange("A", "1", None),)),
        (
            "sorted by name",
            {"B": "1", "A": "1"},
            {"B": "2", "A": "2"},
            (ValueChange("A", "1", "2"), ValueChange("B", "1", "2")),
        ),
    ],  # fmt: skip
)
def test_value_changes_list_each_difference_once(
    case: str, old: dict[str, str], new: dict[str, str], expected: tuple[ValueChange, ...]
) -> None:
    assert value_changes(old, new) == expected


def test_a_masked_value_is_never_shown() -> None:
    (change,) = value_changes(
        {"Token": "old-secret"}, {"Token": "new-secret"}, frozenset({"Token"})
    )

    assert (change.old, change.new) == (MASK, MASK)


@pytest.mark.parametrize(
    ("case", "deployed", "wanted", "expected"),
    [
        ("no stack, unprotected env", None, False, None),
        ("no stack, protected env", None, True, ("off", "on")),
        ("protected stack, unprotected env", True, False, ("on", "off")),
        ("as wanted", True, True, None),
    ],
)
def test_termination_protection_follows_the_env(
    case: str, deployed: bool | None, wanted: bool, expected: tuple[str, str] | None
) -> None:
    change = protection_change(deployed, wanted)

    assert (None if change is None else (change.old, change.new)) == expected


def nested_loader() -> Any:
    def load(url: str) -> dict[str, Any] | None:
        path = ROOT / "cft" / url
        return load_template(path.read_text()) if path.is_file() else None

    return load


def test_max_attempts_reaches_the_retry_function_through_the_lambda_stack() -> None:
    root = load_template((ROOT / "cft" / "disa-root-stack.yaml").read_text())

    reach = parameter_reach(root, ["MaxAttempts", "LogRetentionDays"], "disa-dev", nested_loader())

    assert reach["MaxAttempts"] == ("disa-dev/LambdaStack: RetryFunction (AWS::Lambda::Function)",)
    assert (
        "disa-dev/LambdaStack: RetryLogGroup (AWS::Logs::LogGroup)" in (reach["LogRetentionDays"])
    )


def test_an_unknown_nested_template_is_reported_as_the_nested_stack() -> None:
    root = load_template((ROOT / "cft" / "disa-root-stack.yaml").read_text())

    reach = parameter_reach(root, ["MaxAttempts"], "disa-dev", lambda url: None)

    assert reach["MaxAttempts"] == ("disa-dev: LambdaStack (AWS::CloudFormation::Stack)",)


@pytest.mark.parametrize(
    ("case", "value", "expected"),
    [
        ("short Ref", Tagged("Ref", "A"), {"A"}),
        ("long Ref", {"Ref": "A"}, {"A"}),
        ("short Sub", Tagged("Sub", "${A}-${B.Arn}-x"), {"A"}),
        (
            "long Sub with variables",
            {"Fn::Sub": ["${A}-${V}", {"V": {"Ref": "C"}}]},
            {"A", "V", "C"},
        ),
        ("nested in a list", [{"x": Tagged("Ref", "A")}], {"A"}),
        ("GetAtt is not a parameter", Tagged("GetAtt", "A.Arn"), set()),
    ],  # fmt: skip
)
def test_references_by_ref_and_sub(case: str, value: Any, expected: set[str]) -> None:
    assert references(value) == expected


def full_plan() -> Plan:
    tree = (ChangeNode("disa-dev", "Modify", "LambdaStack", "AWS::CloudFormation::Stack", "",
                       (ChangeNode("disa-dev/LambdaStack", "Modify", "RetryFunction",
                                   "AWS::Lambda::Function", "False"),)),)  # fmt: skip
    ref = ChangeSetRef("arn:cs", "UPDATE", "arn:stack", made_stack=False)
    return Plan(
        target=Target("dev", "disa", "disa-dev", "111122223333", "eu-west-1"),
        action=StackAction.UPDATE,
        template_sha256="ab" * 32,
        artifacts=(("disa_retry.zip", "artifacts/1.zip"), ("root.yaml", "artifacts/2.yaml")),
        parameters=(("MaxAttempts", "7"), ("Token", MASK)),
        tags=(("disa:env", "dev"),),
        termination_protection=True,
        parameter_changes=(ValueChange("MaxAttempts", "5", "7", ("disa-dev/LambdaStack: R",)),),
        tag_changes=(ValueChange("team", None, "a"),),
        protection_change=ValueChange("termination protection", "off", "on"),
        changes=tree,
        steps=(ExecuteChangeSet(ref), UpdateWithoutChangeSet(), SetTerminationProtection(True)),
        stack=StackSnapshot("arn:stack", "UPDATE_COMPLETE", "2024-05-01T12:00:00+00:00", "cd"),
    )


def test_a_saved_plan_reads_back_as_the_same_value() -> None:
    plan = full_plan()

    text = plan_to_json(plan, "2024-05-01T12:00:00+00:00", "0.1.0")

    assert plan_from_json(text, "plan.json") == plan
    assert json.loads(text)["format"] == FORMAT


@pytest.mark.parametrize(
    ("case", "edit"),
    [
        ("an unknown step", lambda d: d["steps"].append({"step": "drop_table"})),
        ("an unknown action", lambda d: d.update(action="DELETE")),
        ("a change without its fields", lambda d: d["changes"][0].pop("logical_id")),
    ],
)
def test_a_plan_file_with_anything_unknown_is_refused(case: str, edit: Any) -> None:
    document = json.loads(plan_to_json(full_plan(), "t", "0.1.0"))
    edit(document)

    with pytest.raises(ConfigError, match="plan.json: not a readable plan"):
        plan_from_json(json.dumps(document), "plan.json")
