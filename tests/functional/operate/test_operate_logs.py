"""``logs``: every group interleaved by time, one item's lines, errors only, and following."""

from __future__ import annotations

import json
from typing import Any

import pytest
from operate_world import TRACEBACK, Cli, Logs, metric, put_item, start_execution

from deployer.wiring import Edge


def two_items(logs: Logs) -> dict[str, str]:
    """ok-1 is published; fail-1's publish fails (error line, traceback, failed execution).

    Both went through one init batch, so that invocation carries both ids."""
    put_item("ok-1", "Successful", run=1, attempts=1)
    put_item("fail-1", "Failure", run=1, attempts=1)
    names = {key: start_execution(key, 1) for key in ("ok-1", "fail-1")}
    logs.invocation("init", [
        {"event": "execution started", "id": "ok-1", "execution": names["ok-1"]},
        {"event": "execution started", "id": "fail-1", "execution": names["fail-1"]},
        {"event": "batch done", "records": 2, "started": 2},
    ], stream="2025/01/01/[$LATEST]init")  # fmt: skip
    logs.invocation("process", [
        {"event": "claimed", "id": "ok-1", "execution": names["ok-1"], "attempt": 1},
        {"event": "published", "id": "ok-1", "execution": names["ok-1"], "messageId": "m-1"},
        metric("PublishSuccesses", "ok-1"),
    ], stream="2025/01/01/[$LATEST]proc")  # fmt: skip
    logs.invocation("process", [
        {"event": "claimed", "id": "fail-1", "execution": names["fail-1"], "attempt": 1},
        {"event": "publish failed", "level": "ERROR", "id": "fail-1",
         "execution": names["fail-1"], "error": "AuthorizationError"},
        metric("PublishFailures", "fail-1"),
    ], stream="2025/01/01/[$LATEST]proc", error=TRACEBACK)  # fmt: skip
    logs.states("ExecutionFailed", names["fail-1"], error="StatusWriteFailed", cause="x")
    return names


def json_lines(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout)["details"]["logs"]["lines"])


def test_all_groups_interleaved_by_time_and_rendered_readably(cli: Cli, logs: Logs) -> None:
    names = two_items(logs)

    result = cli("logs", "--env", "dev")

    assert result.exit_code == 0, result.output
    out = [line for line in result.stdout.splitlines() if line[:2] == "20"]  # not continuations
    assert out == sorted(out)  # the time column leads: interleaved oldest first
    assert "\n    Traceback (most recent call last):\n" in result.stdout  # one readable block
    sources = [line.split()[2] for line in out]
    assert {"init", "process", "states"} == set(sources)
    assert sources.index("states") == len(sources) - 1  # written last
    published = next(line for line in out if "published" in line)
    assert published.split()[3:] == ["INFO", "published", "id=ok-1",
                                     f"execution={names['ok-1']}", "messageId=m-1",
                                     published.split()[-1]]  # fmt: skip
    assert published.split()[-1].startswith("lambda_request=")
    assert any(line.endswith("METRIC  PublishFailures Environment=dev id=fail-1") for line in out)
    assert sum(" START RequestId: " in line for line in out) == 3


def test_json_output_passes_the_raw_lines_through(cli: Cli, logs: Logs) -> None:
    two_items(logs)

    lines = json_lines(cli("logs", "--env", "dev", "--output", "json"))

    raw = [line["message"] for line in lines]
    assert any(m.startswith("{") and json.loads(m).get("event") == "published" for m in raw)
    assert TRACEBACK in raw  # untouched, \r and all
    assert {line["source"] for line in lines} == {"init", "process", "states"}


def test_id_keeps_the_item_and_its_invocations_untagged_lines(cli: Cli, logs: Logs) -> None:
    names = two_items(logs)

    lines = json_lines(cli("logs", "--env", "dev", "--id", "fail-1", "--output", "json"))

    kept = [(line["source"], line["message"]) for line in lines]
    assert all("ok-1" not in message for _, message in kept)
    assert ("process", TRACEBACK) in kept  # names no item, but its invocation was fail-1's
    events = [json.loads(m).get("event") for _, m in kept if m.startswith('{"time"')]
    assert events == ["execution started", "batch done", "claimed", "publish failed"]
    assert sum(m.startswith(("START", "END", "REPORT")) for _, m in kept) == 6
    (states,) = [m for s, m in kept if s == "states"]
    assert json.loads(states)["execution_arn"].endswith(":" + names["fail-1"])


def test_id_of_an_item_whose_lines_another_item_shares_nothing_else(cli: Cli, logs: Logs) -> None:
    two_items(logs)

    lines = json_lines(cli("logs", "--env", "dev", "--id", "ok-1", "--output", "json"))

    messages = [line["message"] for line in lines]
    assert all("fail-1" not in m and m != TRACEBACK for m in messages)
    assert sum('"published"' in m for m in messages) == 1


def test_id_finds_the_state_machine_lines_of_an_execution_the_item_names(
    cli: Cli, logs: Logs
) -> None:
    put_item("odd-1", "Failure", run=1, attempts=1, execution="odd-1-custom-name")
    logs.states("ExecutionFailed", "odd-1-custom-name", error="StatusWriteFailed")
    logs.states("ExecutionFailed", "someone-else-r1", error="StatusWriteFailed")

    lines = json_lines(cli("logs", "--env", "dev", "--id", "odd-1", "--output", "json"))

    assert [line["execution"] for line in lines] == ["odd-1-custom-name"]


def test_errors_keeps_only_error_lines(cli: Cli, logs: Logs) -> None:
    two_items(logs)

    lines = json_lines(cli("logs", "--env", "dev", "--errors", "--output", "json"))

    kinds = sorted((line["source"], line["kind"]) for line in lines)
    assert kinds == [("process", "json"), ("process", "runtime"), ("states", "states")]
    assert all(line["error"] for line in lines)


def test_function_reads_only_that_group(cli: Cli, logs: Logs) -> None:
    two_items(logs)

    lines = json_lines(cli("logs", "--env", "dev", "--function", "init", "--output", "json"))

    assert {line["group"] for line in lines} == {"/aws/lambda/disa-dev-init-process"}


def test_since_reads_only_the_window(cli: Cli, logs: Logs) -> None:
    logs.t0 -= 3_600_000  # an hour before
    two_items(logs)

    assert json_lines(cli("logs", "--env", "dev", "--since", "30m", "--output", "json")) == []
    assert json_lines(cli("logs", "--env", "dev", "--since", "2h", "--output", "json"))


def test_no_matching_line_is_said_not_left_blank(cli: Cli, logs: Logs) -> None:
    logs.t0 -= 3_600_000  # an hour before
    two_items(logs)

    quiet = cli("logs", "--env", "dev", "--since", "30m")
    errors = cli("logs", "--env", "dev", "--function", "init", "--errors", "--id", "ok-1")

    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == "no log lines in init, process, retry, states in the last 30m\n"
    assert errors.stdout == "no error lines of item ok-1 in init in the last 15m\n"


@pytest.mark.parametrize("since", ["soon", "1w", "-5m", "m", "0"])
def test_a_bad_since_is_a_usage_error(cli: Cli, since: str) -> None:
    result = cli("logs", "--env", "dev", "--since", since)

    assert result.exit_code == 2
    assert "--since" in result.output and since in result.output


def test_a_missing_group_is_named_not_an_error(cli: Cli, logs: Logs) -> None:
    from operate_world import GROUPS, client

    client("logs").delete_log_group(logGroupName=GROUPS["retry"])

    result = cli("logs", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert "no log group /aws/lambda/disa-dev-retry (nothing logged there yet)" in result.stderr


class Interrupting:
    """A sleep that writes new lines during the first sleeps, then is interrupted."""

    def __init__(self, logs: Logs, writes: list[Any], interrupt_at: int) -> None:
        self.logs, self.writes, self.interrupt_at = logs, writes, interrupt_at
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) == self.interrupt_at:
            raise KeyboardInterrupt
        if self.writes:
            self.writes.pop(0)(self.logs)


def test_follow_shows_new_lines_once_backs_off_and_stops_cleanly_on_ctrl_c(
    cli: Cli, logs: Logs
) -> None:
    from deployer.gateways.aws import make_clients

    calls: list[str] = []
    sleep = Interrupting(logs, [
        lambda w: w.invocation("retry", [{"event": "retry run done", "redriven": 0}]),
        lambda w: None, lambda w: None,
        lambda w: w.invocation("retry", [{"event": "retry run done", "redriven": 3}]),
    ], interrupt_at=6)  # fmt: skip
    edge = Edge(sleep=sleep, make_clients=lambda t: make_clients(t, lambda s, op: calls.append(op)))
    logs.invocation("process", [{"event": "claimed", "id": "a"}])

    result = cli("logs", "--env", "dev", "--function", "all", "--follow", edge=edge)

    assert result.exit_code == 130, result.output
    assert "stopped (Ctrl-C) after 12 lines" in result.stderr
    out = result.stdout
    assert out.count("claimed") == 1  # re-read by the look-back, shown once
    assert out.count("retry run done") == 2
    assert sleep.sleeps == [5.0, 5.0, 10.0, 20.0, 5.0, 10.0]  # new lines bring the pause back
    assert calls.count("FilterLogEvents") == 4 * 6  # four groups a poll; none after Ctrl-C


def test_follow_with_json_output_is_refused(cli: Cli) -> None:
    result = cli("logs", "--env", "dev", "--follow", "--output", "json")

    assert result.exit_code == 2
    assert "--follow prints lines as they come" in result.stderr
