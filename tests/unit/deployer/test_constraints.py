"""A value checked against a template parameter's declaration, as CloudFormation checks it."""

from __future__ import annotations

from typing import Any

import pytest

from deployer.config.constraints import declared_parameters, problems


def spec(**declaration: Any) -> Any:
    return declared_parameters({"Parameters": {"P": declaration}}, "t.yaml")["P"]


@pytest.mark.parametrize(
    ("case", "declaration", "value", "needle"),
    [
        ("pattern", {"AllowedPattern": "^[a-z]+$"}, "Dev", "does not match AllowedPattern"),
        ("pattern is anchored", {"AllowedPattern": "[a-z]+"}, "dev-1", "AllowedPattern"),
        ("too long", {"MaxLength": 3}, "abcd", "4 characters, longer than MaxLength 3"),
        ("too short", {"MinLength": 2}, "a", "1 characters, shorter than MinLength 2"),
        ("not allowed", {"AllowedValues": ["true", "false"]}, "yes", "AllowedValues true, false"),
        ("not a number", {"Type": "Number"}, "lots", "is not a number"),
        ("below", {"Type": "Number", "MinValue": 1}, "0", "below MinValue 1"),
        ("above", {"Type": "Number", "MaxValue": 100}, "101", "above MaxValue 100"),
        ("number not allowed", {"Type": "Number", "AllowedValues": [1, 3]}, "2", "1, 3"),
        (
            "list item",
            {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]},
            "a,c",
            "item 'c'",
        ),  # fmt: skip
        ("number list", {"Type": "List<Number>"}, "1,x", "item 'x': is not a number"),
        (
            "constraint description",
            {"AllowedPattern": "^a$", "ConstraintDescription": "just a"},
            "b",
            "(just a)",
        ),  # fmt: skip
    ],
)
def test_refused(case: str, declaration: dict[str, Any], value: str, needle: str) -> None:
    found = problems(spec(**{"Type": "String", **declaration}), value)

    assert any(needle in p for p in found), found


@pytest.mark.parametrize(
    ("case", "declaration", "value"),
    [
        ("plain string", {}, "anything"),
        ("pattern", {"AllowedPattern": "^$|^[^@]+@[^@]+$"}, ""),
        ("exact length", {"MaxLength": 3, "MinLength": 3}, "abc"),
        ("number in range", {"Type": "Number", "MinValue": 1, "MaxValue": 100}, "100"),
        ("decimal", {"Type": "Number"}, "1.5"),
        ("number in list", {"Type": "Number", "AllowedValues": [1, 14]}, "14"),
        ("account-resolved type", {"Type": "AWS::EC2::KeyPair::KeyName"}, "whatever"),
        ("a Java-only pattern is CloudFormation's to judge", {"AllowedPattern": r"^\p{L}+$"}, "x"),
    ],
)
def test_accepted(case: str, declaration: dict[str, Any], value: str) -> None:
    assert problems(spec(**{"Type": "String", **declaration}), value) == []


def test_the_declaration_is_read_with_its_default_and_place() -> None:
    from cfnlint.decode.decode import decode_str

    template, _ = decode_str("Parameters:\n  Env:\n    Type: String\n    Default: 7\n")
    env = declared_parameters(template, "cft/root.yaml")["Env"]

    assert (env.default, env.where) == ("7", "cft/root.yaml:2")
