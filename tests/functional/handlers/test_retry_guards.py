"""disa_retry's guards, each pinned: a retry-index row is only a hint (the index is
eventually consistent and may be older than the item), so every claim and every
exhaustion re-checks, in one conditional write, that the item is still due, still in
Failure, Retrying or Processing (a claim's lease), and still at the row's run. An error
other than the failed condition is a failure, never a silent skip.
"""

from __future__ import annotations

import time

import pytest
from disa_common import model
from disa_common.container import Container
from disa_common.kit import Deps
from disa_common.settings import Settings
from disa_retry import handler
from disa_retry.handler import Deadline, Outcome, redrive_due_items
from handler_support import FakeContext, get_item, item_runs, put_message

TOKEN = "0123456789ab"
OTHER = "ba9876543210"
NOW = 2_000_000_000  # the fixed clock of these tests


def deps(container: Container, now: float = NOW) -> Deps:
    return Deps(Settings.from_env(), Container(container.session, clock=lambda: now))


def row(key: str, run: int, attempts: int) -> dict:
    """A retry-index row as the Query returns it (keys, run, attempts)."""
    return {
        model.KEY: {"S": key},
        model.RETRY_SHARD: {"S": model.retry_shard(key, 4)},
        model.NEXT_ATTEMPT_AT: {"N": str(NOW - 10)},
        model.RUN: {"N": str(run)},
        model.ATTEMPTS: {"N": str(attempts)},
    }


def put_item(ddb, key: str, **attributes: object) -> None:
    extra = {
        name: {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
        for name, value in attributes.items()
    }
    put_message(ddb, key, **extra)


def redrive(container: Container, row_: dict) -> Outcome:
    return handler.redrive_item(row_, NOW, deps(container), Deadline(None, 0))


DUE = {"retry_shard": "0", "next_attempt_at": NOW - 10}

MOVED_ON = [
    pytest.param({"status": "Successful", "run": 2}, id="successful"),
    # Final or claimed, yet still carrying retry keys (a restore from a backup, a hand edit):
    # the row is a hint, the status decides.
    pytest.param({"status": "Successful", "run": 2, **DUE}, id="successful-with-retry-keys"),
    pytest.param(
        {
            "status": "Processing",
            "run": 2,
            "execution": "x",
            "retry_shard": "0",
            "next_attempt_at": NOW + 900,
        },
        id="processing-lease-running",
    ),  # fmt: skip
    pytest.param({"status": "Processing", "run": 2, "execution": "x"}, id="processing"),
    pytest.param({"status": "Processing", "run": 3, "execution": "x"}, id="processing-newer-run"),
    pytest.param({"status": "Failure", "run": 3, **DUE}, id="failure-of-a-newer-run"),
    pytest.param({"status": "Retrying", "run": 3, **DUE}, id="retrying-for-a-newer-run"),
    pytest.param({"status": "Failure", "run": 2, "next_attempt_at": NOW + 60}, id="not-yet-due"),
    pytest.param({"status": "Retrying", "run": 2, "next_attempt_at": NOW + 900}, id="leased"),
    pytest.param({}, id="overwritten-by-a-new-request"),
    pytest.param({"status": "Invalid"}, id="invalid"),
    pytest.param({"status": "Exhausted", "run": 2}, id="exhausted"),
]


@pytest.mark.parametrize("attempts", [pytest.param(1, id="claim"), pytest.param(5, id="exhaust")])
@pytest.mark.parametrize("now_item", MOVED_ON)
def test_a_stale_row_for_an_item_that_moved_on_is_never_claimed_or_exhausted(
    container, ddb, table, state_machine, now_item, attempts
) -> None:
    put_item(ddb, "k", request=TOKEN, **now_item)
    before = get_item(ddb, "k")

    assert redrive(container, row("k", run=2, attempts=attempts)) is Outcome.SKIPPED

    assert get_item(ddb, "k") == before
    assert item_runs(state_machine) == {}


@pytest.mark.parametrize(
    ("status", "next_at"),
    [
        pytest.param("Failure", NOW, id="failure-due-this-second"),
        pytest.param("Failure", NOW - 3600, id="failure-overdue"),
        pytest.param("Retrying", NOW, id="lease-ended-this-second"),
        # A claim by disa_process is a lease too: its run died without writing an outcome.
        pytest.param("Processing", NOW, id="claim-lease-ended-this-second"),
    ],
)
def test_a_row_that_tells_the_truth_is_claimed(
    container, ddb, table, state_machine, status, next_at
) -> None:
    put_item(
        ddb,
        "k",
        status=status,
        run=2,
        attempts=1,
        request=TOKEN,
        retry_shard="0",
        next_attempt_at=next_at,
    )

    assert redrive(container, row("k", run=2, attempts=1)) is Outcome.REDRIVEN

    item = get_item(ddb, "k")
    assert (item[model.STATUS], item[model.RUN]) == ({"S": "Retrying"}, {"N": "3"})
    assert item_runs(state_machine) == {"k": [(TOKEN, 3)]}


@pytest.mark.parametrize(
    ("status", "next_at"),
    [
        pytest.param("Failure", NOW, id="failure-due-this-second"),
        pytest.param("Retrying", NOW - 1, id="lease-ended"),
        pytest.param("Processing", NOW - 1, id="claim-lease-ended"),
    ],
)
def test_a_row_that_tells_the_truth_is_exhausted(
    container, ddb, table, state_machine, status, next_at
) -> None:
    put_item(
        ddb,
        "k",
        status=status,
        run=2,
        attempts=5,
        request=TOKEN,
        retry_shard="0",
        next_attempt_at=next_at,
    )

    assert redrive(container, row("k", run=2, attempts=5)) is Outcome.EXHAUSTED

    assert get_item(ddb, "k")[model.STATUS] == {"S": "Exhausted"}


def test_the_next_run_is_named_for_the_request_the_item_holds_now(
    container, ddb, table, state_machine
) -> None:
    """The row was read while the item held another request (OTHER); it was overwritten
    and failed at the same run since. The claim reads the token back with the item."""
    put_item(ddb, "k", status="Failure", run=2, attempts=1, request=TOKEN, **DUE)

    assert redrive(container, row("k", run=2, attempts=1)) is Outcome.REDRIVEN

    assert item_runs(state_machine) == {"k": [(TOKEN, 3)]}
    assert OTHER not in str(get_item(ddb, "k"))


def test_an_item_from_before_request_tokens_keeps_its_names(
    container, ddb, table, state_machine
) -> None:
    put_item(ddb, "old", status="Failure", run=2, attempts=1, **DUE)

    assert redrive(container, row("old", run=2, attempts=1)) is Outcome.REDRIVEN

    legacy = model.legacy_token("old")
    assert item_runs(state_machine) == {"old": [(legacy, 3)]}
    assert get_item(ddb, "old")[model.REQUEST] == {"S": legacy}


@pytest.mark.parametrize(
    ("attempts", "what"),
    [pytest.param(1, "claim", id="claim"), pytest.param(5, "exhaust", id="exhaust")],
)
@pytest.mark.parametrize(
    "code", ["ThrottlingException", "AccessDeniedException", "InternalServerError"]
)
def test_a_write_failing_for_any_other_reason_is_a_failure_not_a_skip(
    container, ddb, table, state_machine, fail_calls, logs, attempts, what, code
) -> None:
    put_item(ddb, "k", status="Failure", run=2, attempts=attempts, request=TOKEN, **DUE)
    before = get_item(ddb, "k")
    fail_calls("dynamodb.UpdateItem", code)

    assert redrive(container, row("k", run=2, attempts=attempts)) is Outcome.FAILED

    assert get_item(ddb, "k") == before  # still due: the next run tries again
    assert item_runs(state_machine) == {}
    (failed,) = logs.events("retry failed")
    assert failed["error"] == code
    assert logs.metrics("RetriesExhausted") == []


def test_the_deadline_arriving_mid_page_leaves_the_rest_for_the_next_run(
    container, ddb, table, state_machine, calls
) -> None:
    for i in range(10):  # one shard, so one page holds them all
        put_item(ddb, f"k{i}", status="Failure", run=1, attempts=1, request=TOKEN, **DUE)
    looks = {"n": 0}

    def remaining_ms() -> int:
        looks["n"] += 1  # plenty of time for the first looks, then too little
        return 60_000 if looks["n"] <= 4 else 1_000

    settings = Settings.from_env()
    one_worker = Settings(**{**settings.__dict__, "retry_concurrency": 1, "retry_shards": 1})
    run_deps = Deps(one_worker, Container(container.session, clock=lambda: NOW))

    result = redrive_due_items(run_deps, Deadline(remaining_ms, 10_000), page_size=100)

    # Looks: one before the page, then one per item: 3 items re-driven, 7 left.
    assert calls.count("dynamodb:Query") == 1
    assert (result["redriven"], result["left"], result["stoppedEarly"]) == (3, 7, True)
    untouched = [
        k for k in (f"k{i}" for i in range(10)) if get_item(ddb, k)[model.RUN] == {"N": "1"}
    ]
    assert len(untouched) == 7

    rest = redrive_due_items(run_deps, Deadline(None, 0))

    assert (rest["redriven"], rest["stoppedEarly"]) == (7, False)
    assert sum(len(r) for r in item_runs(state_machine).values()) == 10


def test_a_scheduled_run_passes_its_context_deadline(container, ddb, table, state_machine) -> None:
    due = {"retry_shard": model.retry_shard("k", 4), "next_attempt_at": int(time.time()) - 1}
    put_item(ddb, "k", status="Failure", run=1, attempts=1, request=TOKEN, **due)

    result = handler.lambda_handler({}, FakeContext(lambda: 9_999), container)

    assert result["stoppedEarly"] is True and result["redriven"] == 0


@pytest.mark.parametrize(
    ("remaining_ms", "near"),
    [
        pytest.param(10_000, False, id="exactly-the-margin-left"),
        pytest.param(9_999, True, id="less"),
    ],
)
def test_the_deadline_margin_is_deadline_margin_seconds(remaining_ms, near) -> None:
    context = FakeContext(lambda: remaining_ms)
    assert Deadline.of(context, 10).near() is near
    assert Deadline.of(None, 10).near() is False  # no context: no deadline


def test_a_redrive_and_a_failed_start_log_the_execution_and_the_error(
    container, ddb, table, state_machine, fail_calls, logs
) -> None:
    put_item(ddb, "ok", status="Failure", run=1, attempts=1, request=TOKEN, **DUE)
    put_item(ddb, "stuck", status="Failure", run=1, attempts=1, request=TOKEN, **DUE)
    fail_calls("sfn.StartExecution", "ServiceUnavailable", lambda p: p["name"].startswith("stuck"))

    assert redrive(container, row("ok", run=1, attempts=1)) is Outcome.REDRIVEN
    assert redrive(container, row("stuck", run=1, attempts=1)) is Outcome.FAILED

    (redriven,) = logs.events("re-driven")
    assert redriven["execution"] == model.execution_name("ok", TOKEN, 2)
    (failed,) = logs.events("start failed, lease left to expire")
    assert failed["execution"] == model.execution_name("stuck", TOKEN, 2)
    assert failed["error"] == "ServiceUnavailable"
