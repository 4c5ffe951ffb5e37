"""Overwrites on the whole flow (real handlers, real state machine, on moto): a write that
leaves the item without a status is a new request, sent once; an update that keeps the
status sends nothing; every stored message is sent at most once and the item ends terminal.
"""

from __future__ import annotations

import pytest
from disa_common import model
from handler_support import BODY, TABLE
from system import System, passes_filter, published_per_message


@pytest.fixture
def system(container, monkeypatch, stream, topic, alarm) -> System:
    flow = System(container, monkeypatch)
    flow.attach(stream)
    return flow


def test_overwrite_after_successful_is_sent_once_and_ends_successful(system: System) -> None:
    system.put("k", f"{BODY} first")
    system.deliver()
    first = system.item("k")
    assert first["status"] == "Successful"

    system.put("k", f"{BODY} second")
    final = system.run_to_the_end(["k"])["k"]

    sent = system.sent()
    assert published_per_message(sent) == {("k", f"{BODY} first"): 1, ("k", f"{BODY} second"): 1}
    assert final["status"] == "Successful"
    assert final[model.SNS_MESSAGE_ID] == sent[-1]["messageId"] != first[model.SNS_MESSAGE_ID]
    assert final[model.REQUEST] != first[model.REQUEST]
    assert final[model.EXECUTION] != first[model.EXECUTION]


def test_overwrite_while_processing_sends_each_stored_message_at_most_once(
    system: System,
) -> None:
    """The user overwrites the item while its first message is being published: the run
    that published it cannot record over the new request, which is then sent itself."""
    system.put("k", f"{BODY} first")

    def overwrite_during_publish(params, **_):
        if params.get("Message") == f"{BODY} first":
            system.put("k", f"{BODY} second")

    system.container.session.events.register(
        "before-parameter-build.sns.Publish", overwrite_during_publish
    )
    final = system.run_to_the_end(["k"])["k"]

    assert published_per_message(system.sent()) == {
        ("k", f"{BODY} first"): 1,
        ("k", f"{BODY} second"): 1,
    }
    assert final["status"] == "Successful"
    assert final[model.SNS_MESSAGE_ID] == system.sent()[-1]["messageId"]


def test_overwrite_while_waiting_for_a_retry_sends_the_new_message_once(system: System) -> None:
    system.put("k", f"{BODY} first")
    system.faults.once("sns.Publish", "InternalError")
    system.deliver()
    assert system.status("k") == "Failure"

    system.put("k", f"{BODY} second")
    final = system.run_to_the_end(["k"])["k"]

    assert published_per_message(system.sent()) == {("k", f"{BODY} second"): 1}
    assert final["status"] == "Successful"
    assert model.RETRY_SHARD not in final and model.NEXT_ATTEMPT_AT not in final
    for _ in range(2):  # later schedules find nothing left to do
        assert system.retry() == {
            "redriven": 0, "exhausted": 0, "skipped": 0, "failed": 0, "left": 0,
            "stoppedEarly": False,
        }  # fmt: skip
    assert len(system.sent()) == 1


def test_overwrite_while_leased_to_a_run_that_never_started(system: System) -> None:
    system.put("k", f"{BODY} first")
    system.faults.once("sns.Publish", "InternalError")
    system.deliver()
    system.faults.once("stepfunctions.StartExecution", "ServiceUnavailable")
    system.retry()  # claims run 2 (Retrying, leased), then fails to start it
    assert system.status("k") == "Retrying"

    system.put("k", f"{BODY} second")
    final = system.run_to_the_end(["k"])["k"]

    assert published_per_message(system.sent()) == {("k", f"{BODY} second"): 1}
    assert final["status"] == "Successful"


def test_overwrite_of_an_invalid_item_with_a_valid_one_is_sent(system: System) -> None:
    system.ddb.put_item(TableName=TABLE, Item={"id": {"S": "k"}, "message": {"N": "1"}})
    system.deliver()
    assert (system.status("k"), system.item("k")["reason"]) == ("Invalid", "NotAString")

    system.put("k", f"{BODY} fixed")
    final = system.run_to_the_end(["k"])["k"]

    assert final["status"] == "Successful" and "reason" not in final
    assert published_per_message(system.sent()) == {("k", f"{BODY} fixed"): 1}


@pytest.mark.parametrize(
    "update",
    [
        pytest.param("SET note = :v", id="another-attribute"),
        pytest.param("SET message = :v", id="the-message-itself"),
    ],
)
def test_a_status_preserving_update_sends_nothing(system: System, update: str) -> None:
    system.put("k", f"{BODY} first")
    system.deliver()
    assert system.status("k") == "Successful"

    system.ddb.update_item(
        TableName=TABLE,
        Key={"id": {"S": "k"}},
        UpdateExpression=update,
        ExpressionAttributeValues={":v": {"S": f"{BODY} edited"}},
    )
    records = system.stream.new_records()  # the run's own writes, then the user's update
    assert records[-1]["dynamodb"]["NewImage"]["message"] == {"S": f"{BODY} edited"} or (
        update == "SET note = :v"
    )
    assert records and not any(passes_filter(r) for r in records)
    system.run_to_the_end(["k"])

    assert published_per_message(system.sent()) == {("k", f"{BODY} first"): 1}
    assert system.status("k") == "Successful"


def test_a_deleted_and_reinserted_item_is_sent_again(system: System) -> None:
    system.put("k", f"{BODY} first")
    system.deliver()
    system.ddb.delete_item(TableName=TABLE, Key={"id": {"S": "k"}})
    system.put("k", f"{BODY} again")

    final = system.run_to_the_end(["k"])["k"]

    assert final["status"] == "Successful"
    assert published_per_message(system.sent()) == {
        ("k", f"{BODY} first"): 1,
        ("k", f"{BODY} again"): 1,
    }
