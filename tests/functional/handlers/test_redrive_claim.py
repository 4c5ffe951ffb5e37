"""The operator's claim of disa_common.redrive (what ``disa-deploy redrive`` runs), on moto.

The claim holds only while the item is exactly as the operator read it: same status (Failure
or Exhausted), same run, same request (or still no request, for an item from before
tokens). Each conjunct is pinned by an item that differs from the read in that one way and
must be left untouched, with no execution started: above all a Successful item, which the
condition (not only the tool's read before it) keeps from being sent again.
"""

from __future__ import annotations

import pytest
from disa_common import model, redrive
from disa_common.container import Container
from disa_common.kit import Deps
from disa_common.settings import Settings
from handler_support import close_executions, executions, get_item, item_runs, put_message

TOKEN = "0123456789ab"
OTHER = "ba9876543210"
NOW = 2_000_000_000


def deps(container: Container) -> Deps:
    return Deps(Settings.from_env(), Container(container.session, clock=lambda: NOW))


def put(ddb, key: str, **attributes: object) -> None:
    put_message(ddb, key, **{
        name: {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
        for name, value in attributes.items()
    })  # fmt: skip


def operator(container, key: str, status: str, run: int, attempts: int, request: str | None):
    wanted = redrive.operator_claim(key, model.Status(status), run, attempts, request)
    return redrive.claim(deps(container), wanted)


EXHAUSTED = {"status": "Exhausted", "run": 5, "attempts": 5, "request": TOKEN}
MOVED_ON = [
    pytest.param({**EXHAUSTED, "status": "Successful", "sns_message_id": "m"}, id="successful"),
    pytest.param({**EXHAUSTED, "status": "Processing", "execution": "x"}, id="processing"),
    pytest.param({**EXHAUSTED, "status": "Retrying"}, id="retrying"),
    pytest.param({**EXHAUSTED, "status": "Invalid"}, id="invalid"),
    pytest.param({**EXHAUSTED, "run": 6}, id="a-newer-run"),
    pytest.param({**EXHAUSTED, "request": OTHER}, id="another-request"),
    pytest.param({"message_only": 1}, id="overwritten-no-status"),
]


@pytest.mark.parametrize("now_item", MOVED_ON)
def test_an_item_that_moved_on_since_the_read_is_left_alone(
    container, ddb, table, state_machine, now_item
) -> None:
    put(ddb, "k", **{k: v for k, v in now_item.items() if k != "message_only"})
    before = get_item(ddb, "k")

    assert operator(container, "k", "Exhausted", run=5, attempts=5, request=TOKEN) is None

    assert get_item(ddb, "k") == before
    assert item_runs(state_machine) == {}


def test_an_exhausted_item_is_leased_to_its_next_run_with_a_fresh_budget(
    container, ddb, table, state_machine
) -> None:
    put(ddb, "k", **EXHAUSTED)

    lease = operator(container, "k", "Exhausted", run=5, attempts=5, request=TOKEN)

    assert lease == redrive.Lease("k", TOKEN, 6, 1)
    item = get_item(ddb, "k")
    assert item[model.STATUS] == {"S": "Retrying"}
    assert (item[model.RUN], item[model.ATTEMPTS]) == ({"N": "6"}, {"N": "0"})
    # back in the retry index until its run claims it: a lost start comes back by itself
    assert item[model.RETRY_SHARD] == {"S": model.retry_shard("k", 4)}
    assert item[model.NEXT_ATTEMPT_AT] == {"N": str(NOW + 900)}
    assert item[model.REQUEST] == {"S": TOKEN}


def test_a_failed_item_keeps_its_attempts(container, ddb, table, state_machine) -> None:
    put(ddb, "k", status="Failure", run=2, attempts=2, request=TOKEN,
        retry_shard=model.retry_shard("k", 4), next_attempt_at=NOW + 300)  # fmt: skip

    lease = operator(container, "k", "Failure", run=2, attempts=2, request=TOKEN)

    assert lease == redrive.Lease("k", TOKEN, 3, 3)
    assert get_item(ddb, "k")[model.ATTEMPTS] == {"N": "2"}


def test_a_failure_read_is_not_claimed_once_the_item_is_exhausted(
    container, ddb, table, state_machine
) -> None:
    put(ddb, "k", **EXHAUSTED)

    assert operator(container, "k", "Failure", run=5, attempts=5, request=TOKEN) is None
    assert get_item(ddb, "k")[model.STATUS] == {"S": "Exhausted"}


def test_an_item_from_before_tokens_is_claimed_under_the_legacy_token(
    container, ddb, table, state_machine
) -> None:
    put(ddb, "old", status="Exhausted", run=5, attempts=5)

    lease = operator(container, "old", "Exhausted", run=5, attempts=5, request=None)

    assert lease is not None and lease.request == model.legacy_token("old")
    assert get_item(ddb, "old")[model.REQUEST] == {"S": model.legacy_token("old")}
    assert redrive.start(deps(container), lease) is True
    assert item_runs(state_machine) == {"old": [(model.legacy_token("old"), 6)]}


@pytest.mark.parametrize(
    "now_item",
    [
        pytest.param({"status": "Successful", "run": 5}, id="successful"),
        pytest.param({"status": "Exhausted", "run": 6}, id="a-newer-run"),
    ],
)
def test_an_item_from_before_tokens_that_moved_on_is_left_alone(
    container, ddb, table, state_machine, now_item
) -> None:
    put(ddb, "old", attempts=5, **now_item)
    before = get_item(ddb, "old")

    assert operator(container, "old", "Exhausted", run=5, attempts=5, request=None) is None
    assert get_item(ddb, "old") == before


def test_an_untokened_read_is_not_claimed_once_a_request_token_is_there(
    container, ddb, table, state_machine
) -> None:
    put(ddb, "k", **EXHAUSTED)  # overwritten since, and that request exhausted too

    assert operator(container, "k", "Exhausted", run=5, attempts=5, request=None) is None
    assert get_item(ddb, "k")[model.STATUS] == {"S": "Exhausted"}


def test_the_start_names_the_run_as_the_retry_function_does_and_runs_once(
    container, ddb, table, state_machine
) -> None:
    put(ddb, "k", **EXHAUSTED)
    lease = operator(container, "k", "Exhausted", run=5, attempts=5, request=TOKEN)
    assert lease is not None

    assert redrive.start(deps(container), lease) is True
    # A repeated start while the first is RUNNING with the same input is StartExecution's
    # idempotent success (AWS and moto alike); once the execution is closed it is refused.
    close_executions(state_machine)
    assert redrive.start(deps(container), lease) is False  # ExecutionAlreadyExists

    started = executions(state_machine)
    assert list(started) == [model.execution_name("k", TOKEN, 6)] == [lease.execution]
    payload = started[lease.execution]
    assert (payload["id"], payload["request"], payload["run"], payload["attempt"]) == (
        "k", TOKEN, 6, 1,
    )  # fmt: skip
    assert payload["retryShard"] == model.retry_shard("k", 4)


@pytest.mark.parametrize("status", ["Successful", "Invalid", "Processing", "Retrying"])
def test_an_operator_claim_of_any_other_status_is_refused_before_any_call(status) -> None:
    with pytest.raises(ValueError, match="^an operator re-drives only Failure, Exhausted items"):
        redrive.operator_claim("k", model.Status(status), 1, 1, TOKEN)
