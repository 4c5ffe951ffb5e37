"""disa_retry against moto: due items re-driven once each, across pages, within a deadline."""

from __future__ import annotations

import itertools
import time

import pytest
from disa_common import model
from disa_common.container import Container
from disa_common.errors import ClaimConflictError
from disa_common.kit import Deps
from disa_common.settings import Settings
from disa_process.handler import lambda_handler as process
from disa_retry import handler
from disa_retry.handler import Deadline, Outcome, lambda_handler, redrive_due_items
from handler_support import TABLE, FakeContext, executions, get_item, put_message

TOKEN = "0123456789ab"  # the request token of the tests' failed items


def name(key: str, run: int) -> str:
    return model.execution_name(key, TOKEN, run)


def put_failed(ddb, key: str, run: int = 1, attempts: int | None = 1, due_in: int = -5) -> None:
    """An item as RecordFailure leaves it: in the retry index, due ``due_in`` s from now."""
    extra = {
        "status": {"S": "Failure"},
        "request": {"S": TOKEN},
        "reason": {"S": "PublishError"},
        "run": {"N": str(run)},
        "retry_shard": {"S": model.retry_shard(key, 4)},
        "next_attempt_at": {"N": str(int(time.time()) + due_in)},
    }
    if attempts is not None:
        extra["attempts"] = {"N": str(attempts)}
    put_message(ddb, key, **extra)


def in_index(ddb, due_by: float | None = None) -> set[str]:
    """Keys in the retry index (only those due by ``due_by`` epoch seconds, if given)."""
    keys = set()
    for shard in range(4):
        answer = ddb.query(
            TableName=TABLE,
            IndexName=model.RETRY_INDEX,
            KeyConditionExpression="retry_shard = :s",
            ExpressionAttributeValues={":s": {"S": str(shard)}},
        )
        keys |= {
            item["id"]["S"]
            for item in answer["Items"]
            if due_by is None or int(item[model.NEXT_ATTEMPT_AT]["N"]) <= due_by
        }
    return keys


def later_container(container: Container, later: float = 0, sfn=None) -> Container:
    """The test's session (and call hooks), with the clock ``later`` seconds ahead."""
    overrides = {"stepfunctions": sfn} if sfn else None
    return Container(container.session, clock=lambda: time.time() + later, overrides=overrides)


def deps(container: Container, later: float = 0, sfn=None) -> Deps:
    return Deps(Settings.from_env(), later_container(container, later, sfn))


def redrive_later(container: Container, later: float, sfn=None) -> dict:
    """A scheduled run ``later`` seconds from now."""
    return redrive_due_items(deps(container, later, sfn), Deadline(None, 0))


LEASE = 900  # RETRY_LEASE_SECONDS' default


class Crash(BaseException):
    """The runtime ending the function (timeout, out of memory): no handler code runs on."""


class CrashingStepFunctions:
    """A Step Functions client the function dies in, between its claim and the start."""

    def start_execution(self, **_: object) -> None:
        raise Crash


def test_due_items_are_claimed_and_get_their_next_run(container, ddb, table, state_machine) -> None:
    for key in ("a", "b", "c"):
        put_failed(ddb, key, run=1, attempts=1)
    put_failed(ddb, "deferred", run=1, attempts=None)  # circuit deferral: no attempt used
    put_failed(ddb, "later", due_in=600)
    put_message(ddb, "done", status={"S": "Successful"})

    result = lambda_handler({}, FakeContext(), container)

    assert result["redriven"] == 4 and result["stoppedEarly"] is False
    started = executions(state_machine)
    assert set(started) == {name(k, 2) for k in ("a", "b", "c", "deferred")}
    payload = started[name("a", 2)]
    assert (payload["id"], payload["run"], payload["attempt"]) == ("a", 2, 2)
    assert payload["retryShard"] == model.retry_shard("a", 4)
    assert started[name("deferred", 2)]["attempt"] == 1
    item = get_item(ddb, "a")
    assert item[model.STATUS] == {"S": "Retrying"} and item[model.RUN] == {"N": "2"}
    assert item[model.ATTEMPTS] == {"N": "1"}  # the new run charges its attempt when it claims
    # Claimed items stay in the index under a lease, due again only if their run never claims.
    assert in_index(ddb) == {"a", "b", "c", "deferred", "later"}
    assert in_index(ddb, due_by=time.time() + LEASE - 60) == {"later"}


def test_every_page_of_the_index_is_read(container, ddb, table, state_machine, calls) -> None:
    keys = [f"item-{i:03}" for i in range(60)]
    for key in keys:
        put_failed(ddb, key)

    result = redrive_due_items(deps(container), Deadline(None, 0), page_size=7)

    assert result["redriven"] == 60
    assert len(executions(state_machine)) == 60
    assert in_index(ddb, due_by=time.time()) == set()
    assert calls.count("dynamodb:Query") >= 60 // 7  # many pages, not one


def test_item_out_of_attempts_is_exhausted_and_counted(
    container, ddb, table, state_machine, logs
) -> None:
    put_failed(ddb, "tired", run=5, attempts=5)

    result = lambda_handler({}, FakeContext(), container)

    assert result["exhausted"] == 1 and result["redriven"] == 0
    item = get_item(ddb, "tired")
    assert item[model.STATUS] == {"S": "Exhausted"}
    assert item[model.REASON] == {"S": "PublishError"}  # the last failure stays readable
    assert in_index(ddb) == set()
    assert executions(state_machine) == {}
    (metric,) = logs.metrics("RetriesExhausted")
    assert metric["RetriesExhausted"] == 1 and metric["id"] == "tired"


def test_max_attempts_comes_from_the_environment(
    container, monkeypatch, ddb, table, state_machine
) -> None:
    monkeypatch.setenv("MAX_ATTEMPTS", "2")
    put_failed(ddb, "second", attempts=1)
    put_failed(ddb, "third", attempts=2)

    result = lambda_handler({}, FakeContext(), container)

    assert (result["redriven"], result["exhausted"]) == (1, 1)


def test_run_stops_before_the_deadline_and_the_next_run_finishes(
    container, ddb, table, state_machine
) -> None:
    keys = [f"item-{i:02}" for i in range(30)]
    for key in keys:
        put_failed(ddb, key)
    ticks = itertools.count()
    # 12 s left, one second gone per look at the clock; margin 10 s: only a few proceed.
    closing = FakeContext(lambda: 12_000 - 1_000 * next(ticks))

    first = lambda_handler({}, closing, container)

    assert first["stoppedEarly"] is True
    done = len(executions(state_machine))
    assert 0 < done < 30
    assert len(in_index(ddb, due_by=time.time())) == 30 - done  # the rest wait, untouched

    second = lambda_handler({}, FakeContext(), container)

    assert second["stoppedEarly"] is False
    assert set(executions(state_machine)) == {name(k, 2) for k in keys}


def test_no_time_at_all_touches_nothing(container, ddb, table, state_machine, calls) -> None:
    put_failed(ddb, "a")

    result = lambda_handler({}, FakeContext(lambda: 5_000), container)

    assert result["stoppedEarly"] is True
    assert calls.calls == []


def test_two_runs_with_the_same_view_never_double_claim(
    container, ddb, table, state_machine
) -> None:
    put_failed(ddb, "a")
    (row,) = ddb.query(
        TableName=TABLE,
        IndexName=model.RETRY_INDEX,
        KeyConditionExpression="retry_shard = :s",
        ExpressionAttributeValues={":s": {"S": model.retry_shard("a", 4)}},
    )["Items"]
    now = int(time.time())
    no_deadline = Deadline(None, 0)

    first = handler.redrive_item(row, now, deps(container), no_deadline)
    second = handler.redrive_item(
        row, now, deps(container), no_deadline
    )  # a run that read the same page

    assert (first, second) == (Outcome.REDRIVEN, Outcome.SKIPPED)
    assert list(executions(state_machine)) == [name("a", 2)]
    assert get_item(ddb, "a")[model.RUN] == {"N": "2"}


def test_back_to_back_runs_redrive_each_item_once(
    container, ddb, table, state_machine, calls
) -> None:
    for i in range(10):
        put_failed(ddb, f"item-{i}")

    first = lambda_handler({}, FakeContext(), container)
    second = lambda_handler({}, FakeContext(), container)

    assert (first["redriven"], second["redriven"]) == (10, 0)
    assert calls.count("states:StartExecution") == 10


def test_crash_between_claim_and_start_is_redriven_once_the_lease_ends(
    container, ddb, table, state_machine
) -> None:
    put_failed(ddb, "a", run=2, attempts=2)

    with pytest.raises(Crash):
        redrive_later(container, 0, sfn=CrashingStepFunctions())

    item = get_item(ddb, "a")
    assert (item[model.STATUS], item[model.RUN]) == ({"S": "Retrying"}, {"N": "3"})
    assert lambda_handler({}, FakeContext(), container)["redriven"] == 0  # leased: not yet
    assert redrive_later(container, LEASE + 1)["redriven"] == 1
    # Run 3 never started, so it consumed no attempt: run 4 publishes attempt 3.
    started = executions(state_machine)
    assert list(started) == [name("a", 4)]
    assert started[name("a", 4)]["attempt"] == 3
    assert get_item(ddb, "a")[model.RUN] == {"N": "4"}


def test_failed_start_leaves_the_lease_to_bring_the_item_back(
    container, ddb, table, state_machine, fail_calls
) -> None:
    put_failed(ddb, "a", run=2, attempts=2)
    fail_calls(
        "sfn.StartExecution", "ServiceUnavailable", lambda params: params["name"].endswith("-r3")
    )
    before = int(time.time())

    result = lambda_handler({}, FakeContext(), container)

    assert (result["failed"], result["redriven"]) == (1, 0)
    item = get_item(ddb, "a")
    assert (item[model.STATUS], item[model.RUN]) == ({"S": "Retrying"}, {"N": "3"})
    assert item[model.ATTEMPTS] == {"N": "2"}  # no attempt charged
    assert item[model.RETRY_SHARD] == {"S": model.retry_shard("a", 4)}
    assert before + LEASE <= int(item[model.NEXT_ATTEMPT_AT]["N"]) <= time.time() + LEASE
    assert redrive_later(container, LEASE + 1)["redriven"] == 1
    assert list(executions(state_machine)) == [name("a", 4)]


def test_existing_execution_after_claim_is_not_an_error_nor_a_dead_end(
    container, ddb, table, state_machine
) -> None:
    put_failed(ddb, "a", run=1)
    container.client("stepfunctions").start_execution(
        stateMachineArn=state_machine, name=name("a", 2), input="{}"
    )

    result = lambda_handler({}, FakeContext(), container)

    assert (result["skipped"], result["failed"]) == (1, 0)
    # Had that execution died before its claim, the lease still brings the item back.
    assert redrive_later(container, LEASE + 1)["redriven"] == 1
    assert name("a", 3) in executions(state_machine)


def test_the_run_that_claims_leaves_the_index_and_a_stale_run_loses(
    container, ddb, table, state_machine, topic, alarm
) -> None:
    put_failed(ddb, "a", run=1)
    lambda_handler({}, FakeContext(), container)  # claims run 2, starts its execution
    redrive_later(container, LEASE + 1)  # run 2 never claimed in time: run 3 takes over

    with pytest.raises(ClaimConflictError):  # the late run 2 execution: AlreadyHandled
        process({"id": "a", "request": TOKEN, "run": 2, "attempt": 2}, FakeContext(), container)
    assert in_index(ddb) == {"a"}

    run_3 = {"id": "a", "request": TOKEN, "run": 3, "attempt": 2}
    assert process(run_3, FakeContext(), container)["outcome"] == "published"
    assert in_index(ddb) == set()
    assert redrive_later(container, 2 * LEASE + 2)["redriven"] == 0


@pytest.mark.parametrize(
    ("case", "attempts", "outcome"),
    [
        pytest.param("deferred-often", 1, "redriven", id="deferrals-consume-no-attempt"),
        pytest.param("used-up", 2, "exhausted", id="consumed-attempts-exhaust"),
    ],
)
def test_an_expired_lease_counts_only_consumed_attempts(
    container, monkeypatch, ddb, table, state_machine, case, attempts, outcome
) -> None:
    monkeypatch.setenv("MAX_ATTEMPTS", "2")
    # Run 7 claimed (runs 2-6 were deferred by the open circuit), then never started.
    put_failed(ddb, case, run=7, attempts=attempts)
    ddb.update_item(
        TableName=TABLE,
        Key={"id": {"S": case}},
        UpdateExpression="SET #s = :retrying",
        ExpressionAttributeNames={"#s": model.STATUS},
        ExpressionAttributeValues={":retrying": {"S": "Retrying"}},
    )

    result = lambda_handler({}, FakeContext(), container)

    assert result[outcome] == 1
    expected = {"redriven": "Retrying", "exhausted": "Exhausted"}[outcome]
    assert get_item(ddb, case)[model.STATUS] == {"S": expected}


def test_lease_length_comes_from_the_environment(
    container, monkeypatch, ddb, table, state_machine
) -> None:
    monkeypatch.setenv("RETRY_LEASE_SECONDS", "30")
    put_failed(ddb, "a")

    lambda_handler({}, FakeContext(), container)

    assert redrive_later(container, 31)["redriven"] == 1


def test_one_broken_item_does_not_stop_the_others(container, ddb, table, state_machine) -> None:
    put_failed(ddb, "good")
    ddb.put_item(  # in the index, but without the run RecordFailure always writes
        TableName=TABLE,
        Item={
            "id": {"S": "odd"},
            "status": {"S": "Failure"},
            "retry_shard": {"S": model.retry_shard("odd", 4)},
            "next_attempt_at": {"N": "1"},
        },
    )

    result = lambda_handler({}, FakeContext(), container)

    assert (result["redriven"], result["failed"]) == (1, 1)


@pytest.mark.parametrize("variable", ["TABLE_NAME", "STATE_MACHINE_ARN"])
def test_missing_setting_fails_loudly(container, monkeypatch, table, variable) -> None:
    monkeypatch.delenv(variable)

    with pytest.raises(Exception, match=variable):
        lambda_handler({}, FakeContext(), container)
