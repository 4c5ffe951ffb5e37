"""``redrive`` on moto: what it selects, what it leaves alone and why, consent, rate, exits.

The world's state machine is a Pass state, so these tests see what the tool does (the
claim it writes, the execution it starts, by name and input); the whole journey to
Successful and one publish is the e2e test's (tests/e2e/test_e2e_operate.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from disa_common import model
from operate_world import Cli, client, put_failed, put_item, run_name

TABLE = "disa-dev-messages"
TOKEN = "0123456789ab"
OTHER = "ba9876543210"
SECRET = "a body nobody may see"


def item(key: str) -> dict[str, Any]:
    found = client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": key}})
    return found.get("Item", {})


def started() -> dict[str, dict[str, Any]]:
    """Execution name -> input, of every execution started."""
    sfn = client("stepfunctions")
    arn = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    found = {}
    for summary in sfn.list_executions(stateMachineArn=arn)["executions"]:
        detail = sfn.describe_execution(executionArn=summary["executionArn"])
        found[summary["name"]] = json.loads(detail["input"])
    return found


def exhausted(key: str, run: int = 5, request: str | None = TOKEN) -> None:
    extra = {"request": request} if request else {}
    put_item(key, "Exhausted", message=SECRET, reason="PublishError", run=run, attempts=5,
             updated_at="2025-01-01T00:00:00.000Z", **extra)  # fmt: skip


def summary(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout)


def redrive(cli: Cli, *args: str, confirm: Callable[[str], bool] | None = None) -> Any:
    edge = replace(cli.edge, confirm=lambda: confirm)
    return cli("redrive", "--env", "dev", *args, edge=edge)


def test_exhausted_items_are_leased_to_their_next_run_and_started(cli: Cli) -> None:
    exhausted("a")
    exhausted("b", run=2, request=None)  # from before request tokens
    put_item("ok", "Successful", run=1)

    result = redrive(cli, "--status", "Exhausted", "--yes", "--output", "json")

    assert result.exit_code == 0, result.output
    a, b = run_name("a", 6, TOKEN), run_name("b", 3)
    assert set(started()) == {a, b}
    assert (started()[a]["run"], started()[a]["attempt"], started()[a]["request"]) == (6, 1, TOKEN)
    leased = item("a")
    assert (leased["status"], leased["run"], leased["attempts"]) == (
        {"S": "Retrying"}, {"N": "6"}, {"N": "0"},
    )  # fmt: skip
    assert leased["message"] == {"S": SECRET}  # the claim never touches the body
    details = summary(result)["details"]["redrive"]
    assert sorted((r["id"], r["execution"]) for r in details["redriven"]) == [("a", a), ("b", b)]
    assert summary(result)["counts"] == {"planned": 2, "redriven": 2, "skipped": 0, "failed": 0,
                                         "refused": 0, "unknown": 0, "read": 5}  # fmt: skip
    assert SECRET not in result.output


def test_failure_items_come_from_the_retry_index_and_leased_ones_are_in_flight(cli: Cli) -> None:
    put_failed("f", attempts=2, updated_at="2025-01-01T00:00:00.000Z", run=2)
    put_failed("r", attempts=2, updated_at="2025-01-01T00:00:00.000Z", run=3, status="Retrying")
    exhausted("x")  # not in the status asked
    # Exhausted, yet still in the index (a restore, a hand edit): the item decides, not the row
    put_failed("e", attempts=5, updated_at="2025-01-01T00:00:00.000Z", status="Exhausted")

    result = redrive(cli, "--status", "Failure", "--yes", "--output", "json")

    assert result.exit_code == 0, result.output
    assert list(started()) == [run_name("f", 3)]
    assert started()[run_name("f", 3)]["attempt"] == 3  # a Failure keeps its attempts
    skipped = summary(result)["details"]["redrive"]["skipped"]
    assert sorted(skipped, key=lambda s: s["id"]) == [
        {"id": "e", "reason": "now Exhausted, not Failure"},
        {"id": "r", "reason": "Retrying: a run is in flight"},
    ]
    assert item("e")["status"] == {"S": "Exhausted"}
    assert item("r")["status"] == {"S": "Retrying"} and item("x")["status"] == {"S": "Exhausted"}


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        pytest.param({"status": "Successful", "run": 5}, "Successful: never sent again", id="ok"),
        pytest.param(
            {"status": "Processing", "run": 6}, "Processing: a run is in flight", id="processing"
        ),  # fmt: skip
        pytest.param(
            {"status": None}, "no status: its first run has not started yet", id="fresh"
        ),  # fmt: skip
        pytest.param({"status": "Paused", "run": 1}, "Paused: not re-drivable", id="unknown"),
        pytest.param(
            {"status": "Failure"}, "Failure without a run number: not written by DISA", id="no-run"
        ),  # fmt: skip
    ],
)
def test_an_item_selected_by_id_that_is_not_redrivable_is_skipped_with_why(
    cli: Cli, now: dict[str, Any], reason: str
) -> None:
    status = now.pop("status")
    put_item("k", status, message=SECRET, **now)
    before = item("k")

    result = redrive(cli, "--id", "k", "--yes", "--output", "json")

    assert result.exit_code == 0, result.output
    assert summary(result)["details"]["redrive"]["skipped"] == [{"id": "k", "reason": reason}]
    assert item("k") == before and started() == {}


def test_invalid_is_refused_unknown_reported_and_the_rest_redriven(cli: Cli) -> None:
    put_item("bad", "Invalid", message={"N": "1"}, reason="NotAString")
    exhausted("good")

    result = redrive(cli, "--id", "bad", "--id", "good", "--id", "ghost", "--yes",
                     "--output", "json")  # fmt: skip

    assert result.exit_code == 2, result.output  # an unknown id: the command line's error
    details = summary(result)["details"]["redrive"]
    assert details["unknown"] == ["ghost"]
    assert details["refused"][0]["id"] == "bad" and "NotAString" in details["refused"][0]["reason"]
    assert [r["id"] for r in details["redriven"]] == ["good"]
    assert item("bad")["status"] == {"S": "Invalid"}

    refused_only = redrive(cli, "--id", "bad", "--yes")
    assert refused_only.exit_code == 3, refused_only.output
    assert "Invalid (NotAString): its message can never be published" in refused_only.output


def test_a_dry_run_lists_and_writes_nothing(cli: Cli) -> None:
    exhausted("a")
    before = item("a")

    result = redrive(cli, "--status", "Exhausted", "--dry-run")
    as_json = redrive(cli, "--status", "Exhausted", "--dry-run", "--output", "json")

    assert result.exit_code == 0, result.output
    assert "redrive  a  Exhausted, run 5, attempts 5" in result.output
    assert "dry run: nothing was written" in result.output
    assert summary(as_json)["details"]["redrive"]["dry_run"] is True
    assert summary(as_json)["counts"]["planned"] == 1
    assert item("a") == before and started() == {}


def test_without_a_terminal_and_without_yes_nothing_is_written(cli: Cli) -> None:
    exhausted("a")
    before = item("a")

    result = redrive(cli, "--status", "Exhausted", "--output", "json")

    assert result.exit_code == 3, result.output
    assert "refusing to redrive without --yes" in summary(result)["error"]
    details = summary(result)["details"]["redrive"]
    assert [p["id"] for p in details["planned"]] == ["a"] and details["redriven"] == []
    assert details["dry_run"] is False
    assert item("a") == before and started() == {}


@pytest.mark.parametrize(("answer", "code", "runs"), [(False, 3, 0), (True, 0, 1)])
def test_a_terminal_asks_first(cli: Cli, answer: bool, code: int, runs: int) -> None:
    exhausted("a")
    asked: list[str] = []

    def confirm(prompt: str) -> bool:
        asked.append(prompt)
        return answer

    result = redrive(cli, "--status", "Exhausted", confirm=confirm)

    assert result.exit_code == code, result.output
    assert asked == ["Redrive 1 items of env dev?"]
    assert len(started()) == runs


MOVED_ON = [
    pytest.param({"status": {"S": "Successful"}, "sns_message_id": {"S": "m"}}, id="successful"),
    pytest.param({"run": {"N": "6"}}, id="run-advanced"),
    pytest.param({"request": {"S": OTHER}}, id="another-request"),
    pytest.param({"status": {"S": "Failure"}}, id="status-changed"),
]


@pytest.mark.parametrize("change", MOVED_ON)
def test_an_item_that_moves_on_between_the_read_and_the_claim_is_skipped(
    cli: Cli, change: dict[str, Any]
) -> None:
    exhausted("a")
    exhausted("b")

    written: list[dict[str, Any]] = []

    def confirm(prompt: str) -> bool:  # runs after the read, before any claim
        written.append({**item("a"), **change})
        client("dynamodb").put_item(TableName=TABLE, Item=written[0])
        return True

    result = redrive(cli, "--status", "Exhausted", "--output", "json", confirm=confirm)

    assert result.exit_code == 0, result.output
    details = summary(result)["details"]["redrive"]
    assert details["skipped"] == [{"id": "a", "reason": "moved on since it was read"}]
    assert [r["id"] for r in details["redriven"]] == ["b"]
    assert not any(name.startswith("a-") for name in started())
    assert item("a") == written[0]


def test_a_run_that_already_started_is_skipped_not_sent_twice(cli: Cli) -> None:
    exhausted("a")
    sfn = client("stepfunctions")
    arn = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    sfn.start_execution(stateMachineArn=arn, name=run_name("a", 6, TOKEN), input="{}")

    result = redrive(cli, "--id", "a", "--yes", "--output", "json")

    assert result.exit_code == 0, result.output
    reason = summary(result)["details"]["redrive"]["skipped"][0]["reason"]
    assert reason == f"execution {run_name('a', 6, TOKEN)} exists"


def test_a_failed_start_fails_that_item_says_so_and_exits_4(cli: Cli) -> None:
    exhausted("a")
    exhausted("b")
    sfn = client("stepfunctions")
    sfn.delete_state_machine(stateMachineArn=sfn.list_state_machines()["stateMachines"][0][
        "stateMachineArn"])  # fmt: skip

    result = redrive(cli, "--status", "Exhausted", "--yes", "--output", "json")

    assert result.exit_code == 4, result.output
    failed = summary(result)["details"]["redrive"]["failed"]
    assert [f["id"] for f in failed] == ["a", "b"]  # one failure does not stop the rest
    assert all("the retry schedule takes it over when the lease ends" in f["reason"]
               for f in failed)  # fmt: skip
    assert item("a")["status"] == {"S": "Retrying"}  # leased: back in the index
    assert item("a")["retry_shard"] == {"S": model.retry_shard("a", 4)}


def test_starts_are_paced_by_the_rate(cli: Cli, clock: Any) -> None:
    for key in ("a", "b", "c"):
        exhausted(key)

    result = redrive(cli, "--status", "Exhausted", "--yes", "--rate", "2")

    assert result.exit_code == 0, result.output
    assert clock.sleeps == [0.5, 0.5]  # the fake clock moves only when slept
    assert len(started()) == 3


def test_an_env_without_its_retry_function_is_refused(cli: Cli) -> None:
    client("lambda").delete_function(FunctionName="disa-dev-retry")

    result = redrive(cli, "--status", "Exhausted", "--yes")

    assert result.exit_code == 3, result.output
    assert "no function disa-dev-retry" in result.output


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((), "select the items: --status Failure|Exhausted, or --id ID"),
        (("--status", "Exhausted", "--id", "a"), "with --status or with --id, not both"),
    ],
)
def test_the_selection_is_status_or_ids(cli: Cli, args: tuple[str, ...], error: str) -> None:
    result = redrive(cli, *args, "--yes")

    assert result.exit_code == 2, result.output
    assert error in result.output


def test_the_closing_counts_include_the_items_the_selection_left_alone(cli: Cli) -> None:
    put_item("done", "Successful", message=SECRET, run=1)
    put_item("tired", "Exhausted", message=SECRET, run=3, attempts=3)

    result = redrive(cli, "--id", "done", "--id", "tired", "--yes")

    assert result.exit_code == 0, result.output
    assert "redriven 1, skipped 1, failed 0" in result.output
