"""The dashboard's body is valid JSON that charts what the handlers really emit.

The handlers' metric names are read from code/python (every ``log.metric("Name", ...)``
and ``_metric("Name", ...)`` call), their dimensions from an EMF line that
``disa_common.log.metric`` writes; the dashboard must chart exactly those names with
exactly those dimensions, plus the AWS metrics the operator needs, each pointed at this
env's resources.
"""

from __future__ import annotations

import ast
import io
import json
import re
from contextlib import redirect_stdout
from typing import Any

from disa_common import log
from support.cfn_yaml import CFT, ROOT, load_template

ALARMS = load_template(CFT / "nested-stacks" / "cw-custom-metric-alarm-stack.yaml")
ROOT_STACK = load_template(CFT / "disa-root-stack.yaml")
LAMBDA = load_template(CFT / "nested-stacks" / "lambda-function-stack.yaml")
SAMPLE = {
    "Project": "disa", "Env": "dev", "MetricNamespace": "DISA", "AWS::Region": "eu-west-1",
    "InitProcessFunctionName": "disa-dev-init-process", "StreamDlqName": "disa-dev-stream-dlq",
    "SubscriptionDlqName": "disa-dev-subscription-dlq",
    "StateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:disa-dev-state-machine",
}  # fmt: skip


def body() -> dict[str, Any]:
    template = ALARMS["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"arn:alarm:{name}" if name.endswith(".Arn") else SAMPLE[name]

    return dict(json.loads(re.sub(r"\$\{([^}]+)\}", fill, template)))


def charted() -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of every metric the dashboard charts."""
    rows = []
    for widget in body()["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            names = [part for part in metric if isinstance(part, str)]
            dimensions = dict(zip(names[2::2], names[3::2], strict=True))
            rows.append((names[0], names[1], dimensions))
    return rows


def emitted_metric_names() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "code" / "python").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if not called.endswith("metric"):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
            else:  # only the one-line wrapper may pass a name on: anything else is unread
                assert isinstance(first, ast.Name) and first.id == "name", (path, node.lineno)
    return found


def emitted_dimensions() -> dict[str, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        log.metric("Any", "DISA", "dev", event="any", id="x")
    line = json.loads(out.getvalue())
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    (keys,) = directive["Dimensions"]
    return {key: line[key] for key in keys}


def test_the_body_is_valid_json_with_every_widget_placed() -> None:
    widgets = body()["widgets"]

    assert widgets and all({"type", "x", "y", "width", "height"} <= set(w) for w in widgets)


def test_it_charts_exactly_the_metrics_the_handlers_emit_with_their_dimensions() -> None:
    names = emitted_metric_names()
    ours = [(metric, dims) for namespace, metric, dims in charted() if namespace == "DISA"]

    assert names >= {"PublishSuccesses", "PublishFailures", "Deferred", "RetriesExhausted"}
    assert {metric for metric, _ in ours} == names
    assert all(dims == emitted_dimensions() for _, dims in ours)  # Environment = the env


def test_the_handlers_environment_dimension_and_namespace_are_the_dashboards() -> None:
    # ENVIRONMENT and METRIC_NAMESPACE reach every function from the stacks' parameters.
    for logical_id in ("InitProcessFunction", "ProcessFunction", "RetryFunction"):
        variables = LAMBDA["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        assert variables["ENVIRONMENT"] == {"Ref": "Env"}
        assert variables["METRIC_NAMESPACE"] == {"Ref": "MetricNamespace"}
    namespaces = {
        stack: ROOT_STACK["Resources"][stack]["Properties"]["Parameters"]["MetricNamespace"]
        for stack in ("LambdaStack", "AlarmStack")
    }
    assert len(set(namespaces.values())) == 1


def test_it_charts_the_operators_aws_metrics_on_this_envs_resources() -> None:
    aws = {(namespace, metric, tuple(dims.values())) for namespace, metric, dims in charted()
           if namespace != "DISA"}  # fmt: skip
    functions = ("disa-dev-init-process", "disa-dev-process", "disa-dev-retry")

    assert ("AWS/Lambda", "IteratorAge", ("disa-dev-init-process",)) in aws
    for queue in ("disa-dev-stream-dlq", "disa-dev-subscription-dlq"):
        assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (queue,)) in aws
    for metric in ("ExecutionsStarted", "ExecutionsFailed"):
        assert ("AWS/States", metric, (SAMPLE["StateMachineArn"],)) in aws
    for metric in ("Errors", "Throttles"):
        assert {dims[0] for ns, m, dims in aws if m == metric} == set(functions)


def test_every_alarm_of_the_stack_is_on_the_dashboard() -> None:
    (widget,) = [w for w in body()["widgets"] if w["type"] == "alarm"]
    alarms = {k for k, v in ALARMS["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm"}

    assert set(widget["properties"]["alarms"]) == {f"arn:alarm:{a}.Arn" for a in alarms}


def test_its_url_is_a_stack_output_of_the_root() -> None:
    assert ROOT_STACK["Outputs"]["DashboardUrl"]["Value"] == {
        "Fn::GetAtt": ["AlarmStack", "Outputs.DashboardUrl"]
    }
    url = ALARMS["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"][0]
    assert url.endswith("/cloudwatch/home?region=${AWS::Region}#dashboards:name=${Dashboard}")
    name = ALARMS["Resources"]["Dashboard"]["Properties"]["DashboardName"]
    assert name == {"Fn::Sub": "${Project}-${Env}"}


def test_the_names_the_dashboard_builds_are_the_functions_names() -> None:
    for word in ("process", "retry"):
        logical = {"process": "ProcessFunction", "retry": "RetryFunction"}[word]
        name = LAMBDA["Resources"][logical]["Properties"]["FunctionName"]["Fn::Sub"]
        assert "${Project}-${Env}-" + word == name
