"""Templates that cannot be read are findings with a place, never a parser's object."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployer.cfn.lint import decode_template, inline_definition, lint

GOOD = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"


@pytest.mark.parametrize(
    ("case", "text", "place", "needle"),
    [
        ("unclosed flow list", "Resources:\n  A: [1\n", (3, 1), "expected ',' or ']'"),
        ("tab indentation", "Resources:\n\tA: 1\n", (2, 1), ""),
        ("duplicate key", "Resources: {}\nResources: {}\n", (1, 1), "Duplicate found 'Resources'"),
        ("a list", "- a\n- b\n", (1, 1), "a list, not a mapping"),
        ("empty", "", (1, 1), "empty"),
    ],
)
def test_unreadable_templates_are_findings(
    case: str, text: str, place: tuple[int, int], needle: str
) -> None:
    decoded = decode_template("cft/t.yaml", Path("cft/t.yaml"), text)

    assert decoded.template is None
    finding = decoded.findings[0]
    assert (finding.rule, finding.file, finding.line, finding.column) == ("E0000", "cft/t.yaml",
                                                                           *place)  # fmt: skip
    assert needle in finding.message
    assert "Mark" not in finding.message and "object at 0x" not in finding.message


def test_findings_in_an_inlined_definition_name_the_asl_file_and_line() -> None:
    text = GOOD + ("  Machine:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
                   "      RoleArn: arn:aws:iam::123456789012:role/r\n"
                   "      DefinitionS3Location: {Bucket: b, Key: ../sm.json}\n")  # fmt: skip
    decoded = decode_template("cft/t.yaml", Path("cft/t.yaml"), text)
    asl = '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Wait"}\n  }\n}\n'

    assert inline_definition(decoded, "Machine", "sm.json", asl) == []
    findings = lint([decoded], "us-east-1")

    assert [(f.rule, f.file, f.line) for f in findings if f.rule == "E3601"] == [
        ("E3601", "sm.json", 4)
    ]


def test_an_unknown_region_is_linted_as_the_default_region_and_said_so() -> None:
    decoded = decode_template("cft/t.yaml", Path("cft/t.yaml"), GOOD)

    findings = lint([decoded], "xx-nowhere-1")

    assert [f.rule for f in findings] == ["DISA-REGION"]
    assert "xx-nowhere-1" in findings[0].message
