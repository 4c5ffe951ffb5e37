"""Log lines as Lambda and Step Functions write them: what each is, which belong to an item."""

from __future__ import annotations

import json

import pytest

from deployer.gateways.logs import LogEvent
from deployer.usecases.loglines import Kind, LogLine, StreamReader, parse

RID = "8f507cfc-1234-4697-b07a-ac58fc914c95"
OTHER = "11111111-2222-3333-4444-555555555555"


def line(message: str, source: str = "process", stream: str = "s1") -> LogLine:
    return parse(source, LogEvent("/aws/lambda/x", stream, 1, message, "e"))


def handler(event: str, request: str = RID, level: str = "INFO", **fields: str) -> str:
    return json.dumps({"time": "t", "level": level, "event": event, "function": "disa_process",
                       "requestId": request, **fields})  # fmt: skip


@pytest.mark.parametrize(
    ("case", "message", "kind", "request_id", "error"),
    [
        ("start", f"START RequestId: {RID} Version: $LATEST", Kind.PLATFORM, RID, False),
        ("end", f"END RequestId: {RID}", Kind.PLATFORM, RID, False),
        ("report", f"REPORT RequestId: {RID}\tDuration: 2.02 ms", Kind.PLATFORM, RID, False),
        ("report-timeout", f"REPORT RequestId: {RID}\tDuration: 3000.00 ms\tStatus: timeout",
         Kind.PLATFORM, RID, True),
        ("report-error", f"REPORT RequestId: {RID}\tStatus: error\tError Type: Runtime.ExitError",
         Kind.PLATFORM, RID, True),
        ("timed-out", f"2025-01-01T00:00:03.000Z {RID} Task timed out after 3.00 seconds",
         Kind.PLATFORM, RID, True),
        ("init-start", "INIT_START Runtime Version: python:3.12.v18", Kind.PLATFORM, None, False),
        ("runtime-error", "[ERROR] PublishError: x\rTraceback (most recent call last):\r  File",
         Kind.RUNTIME, None, True),
        ("runtime-warning", f"[WARNING]\t2025-01-01T00:00:00.000Z\t{RID}\tLAMBDA_WARNING: "
         "Unhandled exception. The most likely cause is an issue in the function code.",
         Kind.RUNTIME, RID, True),
        ("runtime-info", f"[INFO]\t2025-01-01T00:00:00.000Z\t{RID}\tFound credentials",
         Kind.RUNTIME, RID, False),
        ("handler-info", handler("claimed", id="a"), Kind.JSON, RID, False),
        ("handler-error", handler("publish failed", level="ERROR", id="a"), Kind.JSON, RID, True),
        ("traceback", "Traceback (most recent call last):", Kind.TEXT, None, True),
        ("print", "hello from a print", Kind.TEXT, None, False),
        ("not-json", "{not json", Kind.TEXT, None, False),
    ],
)  # fmt: skip
def test_each_shape_is_recognised(case: str, message: str, kind: Kind, request_id: str | None,
                                  error: bool) -> None:  # fmt: skip
    parsed = line(message)

    assert (parsed.kind, parsed.request_id, parsed.error) == (kind, request_id, error)


def test_a_metric_line_names_its_item_but_no_request() -> None:
    emf = json.dumps({"_aws": {"CloudWatchMetrics": []}, "Deferred": 1, "id": "a"})

    parsed = line(emf)

    assert (parsed.kind, parsed.item_id, parsed.request_id) == (Kind.METRIC, "a", None)


def test_a_state_machine_event_names_its_execution_and_fails_by_type() -> None:
    arn = "arn:aws:states:us-east-1:123456789012:execution:disa-dev-state-machine:a-abc-r1"
    failed = json.dumps({"type": "ExecutionFailed", "execution_arn": arn, "details": {}})
    started = json.dumps({"type": "ExecutionStarted", "execution_arn": arn, "details": {}})

    assert (line(failed, "states").execution, line(failed, "states").error) == ("a-abc-r1", True)
    assert line(started, "states").error is False


def feed(reader: StreamReader, messages: list[str]) -> list[str]:
    return [shown.message for m in messages for shown in reader.feed(line(m))]


def test_reader_keeps_the_items_invocation_with_its_untagged_lines() -> None:
    reader = StreamReader("a", frozenset({"a-abc-r1"}))
    ours = [f"START RequestId: {RID} Version: $LATEST", handler("claimed", id="a"),
            "[ERROR] PublishError: x\rTraceback", f"END RequestId: {RID}",
            f"REPORT RequestId: {RID}\tDuration: 1 ms"]  # fmt: skip
    theirs = [f"START RequestId: {OTHER} Version: $LATEST", handler("claimed", OTHER, id="b"),
              "[ERROR] PublishError: y\rTraceback", f"END RequestId: {OTHER}",
              f"REPORT RequestId: {OTHER}\tDuration: 1 ms"]  # fmt: skip

    assert feed(reader, theirs + ours) == ours
    assert reader.idle  # its REPORT ended the item's invocation
    assert feed(reader, theirs) == []


def test_reader_never_keeps_another_items_line_of_a_shared_batch() -> None:
    reader = StreamReader("a")
    batch = [f"START RequestId: {RID} Version: $LATEST", handler("execution started", id="b"),
             handler("execution started", id="a"), handler("item invalid", id="c"),
             handler("batch done"), f"REPORT RequestId: {RID}\tDuration: 1 ms"]  # fmt: skip

    kept = feed(reader, batch)

    assert kept == [batch[0], batch[2], batch[4], batch[5]]


def test_reader_matches_state_machine_lines_by_execution_name() -> None:
    reader = StreamReader("a", frozenset({"a-abc-r2"}))
    arn = "arn:aws:states:us-east-1:123456789012:execution:sm:"
    mine = json.dumps({"type": "ExecutionFailed", "execution_arn": arn + "a-abc-r2"})
    other = json.dumps({"type": "ExecutionFailed", "execution_arn": arn + "b-def-r1"})

    assert [m.message for m in reader.feed(line(mine, "states"))] == [mine]
    assert reader.feed(line(other, "states")) == []


def test_without_an_item_every_line_passes_and_a_printed_traceback_is_one_error() -> None:
    reader = StreamReader()
    printed = [handler("claimed", id="a"), "Traceback (most recent call last):",
               '  File "handler.py", line 3, in publish', "PublishError: AccessDenied",
               f"END RequestId: {RID}", "a print after it"]  # fmt: skip

    shown = [reader.feed(line(m))[0] for m in printed]

    assert [s.error for s in shown] == [False, True, True, True, False, False]


def test_a_stream_without_start_lines_is_one_invocation_per_request_id() -> None:
    # The emulator today writes one stream per invocation and no platform lines.
    reader = StreamReader("a")
    stream = [handler("claimed", id="a"), "Traceback (most recent call last):",
              "PublishError: AccessDenied"]  # fmt: skip

    assert feed(reader, stream) == stream


def test_without_start_lines_a_new_request_id_ends_the_previous_invocation() -> None:
    reader = StreamReader("a")
    theirs = [handler("claimed", OTHER, id="b"), "Traceback (most recent call last):"]
    ours = [handler("claimed", id="a"), "Traceback (most recent call last):"]

    assert feed(reader, theirs + ours) == ours  # their traceback is not ours to show
