"""The patches' pure rules, without an emulator: schedules, filters, batch failures,
GetAtt splitting, definition substitutions."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from deployer.local import stream_records
from deployer.local.patches import nested_stacks, schedules, state_machines, stream_mappings
from deployer.local.patches.lambda_workers import event_json


@pytest.mark.parametrize(
    ("case", "expression", "seconds"),
    [
        ("minutes", "rate(5 minutes)", 300),
        ("one minute", "rate(1 minute)", 60),
        ("hours", "rate(2 hours)", 7200),
        ("day", "rate(1 day)", 86400),
        ("cron is not a rate", "cron(0 * * * ? *)", None),
        ("nothing", None, None),
    ],
)
def test_rate_seconds(case: str, expression: str | None, seconds: float | None) -> None:
    assert schedules.rate_seconds(expression) == seconds


def rule(name: str, state: str = "ENABLED", expression: str = "rate(1 minute)") -> Any:
    return SimpleNamespace(
        name=name, arn=f"arn:rule/{name}", state=state, scheduled_expression=expression
    )


def test_scheduler_fires_each_period_scaled_and_skips_disabled_rules() -> None:
    now = [0.0]
    scheduler = schedules.Scheduler(scale=0.5, clock=lambda: now[0])
    rules = [rule("on"), rule("off", state="DISABLED")]

    fired = []
    for t in (0.0, 29.0, 30.0, 59.0, 60.0):
        now[0] = t
        fired.append([r.name for r in scheduler.due_rules(rules)])

    assert fired == [[], [], ["on"], [], ["on"]]


def test_re_enabled_rule_restarts_its_period() -> None:
    now = [0.0]
    scheduler = schedules.Scheduler(scale=1, clock=lambda: now[0])
    scheduler.due_rules([rule("r")])
    now[0] = 50.0
    scheduler.due_rules([rule("r", state="DISABLED")])
    now[0] = 61.0

    assert scheduler.due_rules([rule("r")]) == []


def esm(**fields: Any) -> Any:
    defaults = {
        "filter_criteria": None,
        "batch_size": 100,
        "region": "us-east-1",
        "event_source_arn": "arn:stream",
    }
    return SimpleNamespace(**{**defaults, **fields})


INSERT_ONLY = {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}


@pytest.mark.parametrize(
    ("case", "criteria", "event_name", "matches"),
    [
        ("no filter takes all", None, "MODIFY", True),
        ("insert filter takes insert", INSERT_ONLY, "INSERT", True),
        ("insert filter drops modify", INSERT_ONLY, "MODIFY", False),
    ],
)
def test_record_matches(case: str, criteria: Any, event_name: str, matches: bool) -> None:
    record = {"eventName": event_name, "dynamodb": {}}

    assert stream_records.record_matches(esm(filter_criteria=criteria), record) is matches


def stream_item(seq: int, event_name: str) -> Any:
    record = {
        "eventID": str(seq),
        "eventName": event_name,
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "dynamodb": {"SequenceNumber": str(seq)},
    }
    return SimpleNamespace(to_json=lambda: record)


def test_select_batch_skips_filtered_records_and_stops_at_batch_size() -> None:
    items = [
        stream_item(1, "INSERT"),
        stream_item(2, "MODIFY"),
        stream_item(3, "INSERT"),
        stream_item(4, "INSERT"),
    ]

    batch, end = stream_mappings.select_batch(
        items, 0, esm(filter_criteria=INSERT_ONLY, batch_size=2)
    )

    assert [b.to_json()["dynamodb"]["SequenceNumber"] for b in batch] == ["1", "3"]
    assert end == 3


RECORDS = [{"dynamodb": {"SequenceNumber": s}} for s in ("10", "11", "12")]


@pytest.mark.parametrize(
    ("case", "payload", "retry_from"),
    [
        ("all good", {"batchItemFailures": []}, None),
        ("no report", {"ok": True}, None),
        (
            "lowest failed wins",
            {"batchItemFailures": [{"itemIdentifier": "12"}, {"itemIdentifier": "11"}]},
            1,
        ),
        ("unknown identifier fails the batch", {"batchItemFailures": [{"itemIdentifier": "9"}]}, 0),
        ("empty identifier fails the batch", {"batchItemFailures": [{"itemIdentifier": ""}]}, 0),
        ("not json", "oops", None),
    ],
)
def test_first_failed(case: str, payload: Any, retry_from: int | None) -> None:
    body = json.dumps(payload) if isinstance(payload, dict) else payload

    assert stream_records.first_failed(RECORDS, body) == retry_from


@pytest.mark.parametrize(
    ("case", "args", "normalised"),
    [
        ("dotted string", "Child.Outputs.TableName", ["Child", "Outputs.TableName"]),
        ("split list", ["Child", "Outputs", "TableName"], ["Child", "Outputs.TableName"]),
        ("plain attribute", ["Table", "Arn"], ["Table", "Arn"]),
        ("one dotted element", ["Table.StreamArn"], ["Table", "StreamArn"]),
    ],
)
def test_normalise_getatt(case: str, args: Any, normalised: list[str]) -> None:
    assert nested_stacks.normalise_getatt(args) == normalised


class TemplateLoader(yaml.SafeLoader):
    pass


TemplateLoader.add_multi_constructor("", nested_stacks.yaml_tag_constructor)


def test_yaml_short_forms_keep_nested_output_paths() -> None:
    text = """
A: !GetAtt Child.Outputs.TableName
B: !GetAtt [Child, Outputs.StreamArn]
C: !Sub "${Child.Outputs.TableName}-x"
D: !Ref Thing
E: !If [Cond, !Ref X, !GetAtt Y.Arn]
"""
    loaded = yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass

    assert loaded == {
        "A": {"Fn::GetAtt": ["Child", "Outputs.TableName"]},
        "B": {"Fn::GetAtt": ["Child", "Outputs.StreamArn"]},
        "C": {"Fn::Sub": "${Child.Outputs.TableName}-x"},
        "D": {"Ref": "Thing"},
        "E": {"Fn::If": ["Cond", {"Ref": "X"}, {"Fn::GetAtt": ["Y", "Arn"]}]},
    }


def test_definition_substitutions_replace_every_placeholder() -> None:
    text = '{"a": "${ProcessFunctionArn}", "b": "${TableName}", "c": "${TableName}", "d": "$.x"}'

    result = state_machines.substitute(text, {"ProcessFunctionArn": "arn:f", "TableName": "t"})

    assert json.loads(result) == {"a": "arn:f", "b": "t", "c": "t", "d": "$.x"}


@pytest.mark.parametrize(
    ("case", "event", "text"),
    [("moto's no-body marker", "{}", "{}"), ("none", None, "{}"), ("object", {"a": 1}, '{"a": 1}')],
)
def test_event_json(case: str, event: Any, text: str) -> None:
    assert event_json(event) == text
