"""The names the operate commands assume are the templates' names; traces read well."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from disa_common import model
from support.cfn_yaml import CFT, ROOT, load_template

from deployer.cli.operate import STATUSES
from deployer.config.project import Project
from deployer.errors import ConfigError
from deployer.gateways.stepfunctions import HistoryEvent
from deployer.ui.operate import render_schedule
from deployer.usecases.names import (
    FUNCTIONS,
    STATES,
    SystemNames,
    execution_arn,
    load_item_model,
    load_run_code,
    log_sources,
)
from deployer.usecases.trace import Schedule, digest, steps

LAMBDA = load_template(CFT / "nested-stacks" / "lambda-function-stack.yaml")["Resources"]
FUNCTION_IDS = {"init": "InitProcess", "process": "Process", "retry": "Retry"}


def filled(sub: str) -> str:
    return sub.replace("${Project}", "disa").replace("${Env}", "dev")


@pytest.mark.parametrize("word", FUNCTIONS)
def test_function_and_log_group_names_are_the_templates(word: str) -> None:
    names = SystemNames("disa", "dev")
    function = LAMBDA[f"{FUNCTION_IDS[word]}Function"]["Properties"]["FunctionName"]["Fn::Sub"]
    group = LAMBDA[f"{FUNCTION_IDS[word]}LogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]

    assert names.function(word) == filled(function)
    assert names.log_group(word) == filled(group)


def test_state_machine_and_its_log_group_are_the_templates() -> None:
    names = SystemNames("disa", "dev")
    machine = LAMBDA["StateMachine"]["Properties"]["StateMachineName"]["Fn::Sub"]
    group = LAMBDA["StateMachineLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]

    assert names.state_machine == filled(machine)
    assert names.log_group(STATES) == filled(group)


def test_log_sources_are_one_function_or_all_with_the_state_machine() -> None:
    assert log_sources("process") == ("process",)
    assert log_sources("all") == ("init", "process", "retry", "states")


def test_the_item_model_is_the_handlers_own_module() -> None:
    loaded = load_item_model(Project(ROOT))

    assert loaded.module is model
    assert loaded.execution_name("a b", "0123456789ab", 3) == model.execution_name(
        "a b", "0123456789ab", 3
    )
    assert loaded.request_of("a b", "0123456789ab") == "0123456789ab"
    assert loaded.request_of("a b", None) == model.legacy_token("a b")
    assert set(loaded.statuses) == set(STATUSES) == {s.value for s in model.Status}


def test_an_execution_arn_is_the_state_machines_with_the_name() -> None:
    machine = "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:disa-dev-state-machine"

    assert execution_arn(machine, "a-1") == (
        "arn:aws-cn:states:cn-north-1:123456789012:execution:disa-dev-state-machine:a-1"
    )


def at(second: int) -> datetime:
    return datetime(2025, 1, 1, 0, 0, second, tzinfo=UTC)


def test_steps_of_a_failed_publish_carry_the_error_of_the_state_it_ended() -> None:
    history = [
        HistoryEvent(1, "ExecutionStarted", at(0)),
        HistoryEvent(2, "TaskStateEntered", at(1), state="Process"),
        HistoryEvent(3, "LambdaFunctionScheduled", at(1)),
        HistoryEvent(4, "LambdaFunctionFailed", at(2), error="PublishError",
                     cause="PublishError: AuthorizationError"),
        HistoryEvent(5, "TaskStateExited", at(2), state="Process"),
        HistoryEvent(6, "TaskStateEntered", at(3), state="RecordFailure"),
        HistoryEvent(7, "TaskStateExited", at(4), state="RecordFailure"),
        HistoryEvent(8, "ExecutionSucceeded", at(4)),
    ]  # fmt: skip

    found = steps(history)

    assert [(s.state, s.error) for s in found] == [("Process", "PublishError"),
                                                    ("RecordFailure", None)]  # fmt: skip


def test_a_later_error_event_does_not_replace_the_one_that_ended_the_state() -> None:
    history = [
        HistoryEvent(1, "TaskStateEntered", at(1), state="Process"),
        HistoryEvent(2, "LambdaFunctionFailed", at(2), error="PublishError"),
        HistoryEvent(3, "ExecutionFailed", at(3), error="States.TaskFailed"),
    ]

    assert [(s.state, s.error) for s in steps(history)] == [("Process", "PublishError")]


def test_the_run_starter_is_the_retry_functions_own_module() -> None:
    from disa_common import redrive
    from disa_retry import handler

    from deployer.usecases.redrive import REDRIVABLE

    loaded = load_run_code(Project(ROOT))

    assert loaded.redrive is redrive is handler.redrive  # one module, not a copy
    assert tuple(status.value for status in redrive.REDRIVABLE) == REDRIVABLE


def test_an_item_model_missing_from_the_project_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="disa_common/model.py not found"):
        load_item_model(Project(tmp_path))


def schedule(status: str | None, attempts: int = 1, due: int | None = None) -> str:
    return render_schedule(Schedule(status, attempts, 5, 2, due, now=1000.0))


@pytest.mark.parametrize(
    ("case", "status", "attempts", "due", "expected"),
    [
        ("new", None, 0, None, "just inserted: waiting for disa_init_process to start run 1"),
        ("sent", "Successful", 2, None, "published on attempt 2 of 5"),
        ("invalid", "Invalid", 0, None, "never sent: the message is not publishable (see reason)"),
        ("exhausted", "Exhausted", 5, None, "no attempts left: 5 of 5 used; never retried again"),
        ("in-flight", "Processing", 2, None, "run 2 in flight: attempt 2 of 5"),
        ("leased", "Retrying", 1, 1900, "run 2 claimed by disa_retry; lease at "
         "1970-01-01 00:31:40 (in 15m 0s)"),
        ("due-later", "Failure", 1, 1090, "1 of 5 attempts used; due at 1970-01-01 00:18:10 "
         "(in 1m 30s), then retried as run 3 by disa_retry"),
        ("overdue-last", "Failure", 5, 940, "5 of 5 attempts used; due at 1970-01-01 00:15:40 "
         "(1m 0s ago), then marked Exhausted by disa_retry"),
    ],
)  # fmt: skip
def test_the_schedule_position_reads_as_a_sentence(case: str, status: str | None,
                                                   attempts: int, due: int | None,
                                                   expected: str) -> None:  # fmt: skip
    assert schedule(status, attempts, due) == expected


def test_a_digest_is_size_and_sha256_of_the_utf8_bytes() -> None:
    found = digest("S", "héllo")

    assert (found.size, found.sha256[:12]) == (6, "3c48591d8d09")


def test_the_run_starter_missing_from_the_project_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="disa_common/redrive.py not found"):
        load_run_code(Project(tmp_path))


def test_a_lines_lambda_request_is_told_apart_from_the_items_request() -> None:
    from deployer.gateways.logs import LogEvent
    from deployer.ui.operate import render_log_line
    from deployer.usecases.loglines import parse

    line = {"level": "INFO", "event": "re-driven", "id": "k", "request": "0123456789ab",
            "requestId": "8f2c1d3e-aaaa-bbbb-cccc-000000000000"}  # fmt: skip
    event = LogEvent("/aws/lambda/disa-dev-retry", "s", 0, json.dumps(line), "e1")

    rendered = render_log_line(parse("retry", event))

    assert rendered.endswith("re-driven id=k request=0123456789ab lambda_request=8f2c1d3e")


def test_an_event_line_that_carries_its_metric_reads_as_the_event_naming_the_metric(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from disa_common import log

    from deployer.gateways.logs import LogEvent
    from deployer.ui.operate import render_log_line
    from deployer.usecases.loglines import Kind, parse

    log.configure("disa_process", "INFO", "8f2c1d3e-aaaa-bbbb-cccc-000000000000")
    log.metric("PublishSuccesses", "DISA", "dev", event="published", id="k", messageId="m-1")
    text = capsys.readouterr().out.strip()
    event = LogEvent("/aws/lambda/disa-dev-process", "s", 0, text, "e1")

    parsed = parse("process", event)
    rendered = render_log_line(parsed)

    assert (parsed.kind, parsed.item_id) == (Kind.JSON, "k")
    assert rendered.endswith(
        "INFO    published id=k messageId=m-1 metric=PublishSuccesses lambda_request=8f2c1d3e"
    )
