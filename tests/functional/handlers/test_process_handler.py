"""disa_process against moto: circuit, conditional claim, publish, named errors, metrics."""

from __future__ import annotations

import pytest
from disa_common import model
from disa_common.errors import ClaimConflictError, InvalidRequestError, PublishError
from disa_process import handler
from disa_process.handler import lambda_handler
from handler_support import BODY, FakeClock, FakeContext, get_item, put_message


def request(key: str, run: int = 1, attempt: int = 1) -> dict[str, object]:
    """The Process task's payload, as the ASL builds it."""
    return {"id": key, "run": run, "attempt": attempt, "execution": model.execution_name(key, run)}


def test_claims_then_publishes_with_the_key_attribute(
    ddb, table, topic, subscriber, alarm, logs
) -> None:
    put_message(ddb, "order-1")

    result = lambda_handler(request("order-1"), FakeContext())

    assert result["outcome"] == "published"
    (envelope,) = subscriber()
    assert envelope["MessageId"] == result["messageId"]
    assert envelope["Message"] == f"{BODY} for order-1"
    assert envelope["MessageAttributes"]["disa_id"] == {"Type": "String", "Value": "order-1"}
    item = get_item(ddb, "order-1")
    assert item[model.STATUS] == {"S": "Processing"}
    assert (item[model.RUN], item[model.ATTEMPTS]) == ({"N": "1"}, {"N": "1"})
    assert item[model.EXECUTION] == {"S": model.execution_name("order-1", 1)}
    (metric,) = logs.metrics("PublishSuccesses")
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "DISA"
    assert metric["Environment"] == "test"


def test_retry_run_claims_its_retrying_item_and_drops_it_from_the_index(
    ddb, table, topic, alarm
) -> None:
    put_message(
        ddb,
        "order-1",
        status={"S": "Retrying"},
        run={"N": "3"},
        attempts={"N": "2"},
        retry_shard={"S": "1"},
        next_attempt_at={"N": "5"},
    )

    assert lambda_handler(request("order-1", run=3, attempt=3), FakeContext())["outcome"] == (
        "published"
    )
    item = get_item(ddb, "order-1")
    assert item[model.ATTEMPTS] == {"N": "3"}
    assert model.RETRY_SHARD not in item and model.NEXT_ATTEMPT_AT not in item


def test_publish_failure_raises_publish_error_with_metric_and_no_body(
    ddb, table, alarm, logs
) -> None:
    put_message(ddb, "order-1")  # no topic: SNS answers NotFound

    with pytest.raises(PublishError) as raised:
        lambda_handler(request("order-1"), FakeContext())

    # Lambda reports the class name as errorType: the ASL's Catch matches on it.
    assert type(raised.value).__name__ == "PublishError"
    assert str(raised.value) == "NotFound"
    assert BODY not in str(raised.value)
    (metric,) = logs.metrics("PublishFailures")
    assert metric["PublishFailures"] == 1 and metric["id"] == "order-1"
    assert metric["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Environment"]]
    (failure,) = logs.events("publish failed")
    assert failure["error"] == "NotFound"
    assert failure["execution"] == model.execution_name("order-1", 1)


@pytest.mark.parametrize(
    ("case", "attributes", "run"),
    [
        pytest.param(
            "successful", {"status": {"S": "Successful"}, "run": {"N": "1"}}, 1, id="done"
        ),
        pytest.param("stale-run", {"status": {"S": "Retrying"}, "run": {"N": "2"}}, 1, id="stale"),
        pytest.param("failure", {"status": {"S": "Failure"}, "run": {"N": "1"}}, 1, id="failure"),
        pytest.param("invalid", {"status": {"S": "Invalid"}}, 1, id="invalid"),
        pytest.param("exhausted", {"status": {"S": "Exhausted"}, "run": {"N": "5"}}, 5, id="end"),
    ],
)
def test_claim_losing_its_condition_raises_claim_conflict_and_publishes_nothing(
    ddb, table, topic, alarm, calls, case, attributes, run
) -> None:
    put_message(ddb, case, **attributes)
    before = get_item(ddb, case)

    with pytest.raises(ClaimConflictError):
        lambda_handler(request(case, run=run), FakeContext())

    assert get_item(ddb, case) == before
    assert calls.count("sns:Publish") == 0


def test_deleted_item_is_a_conflict_and_is_not_recreated(ddb, table, topic, alarm) -> None:
    with pytest.raises(ClaimConflictError):
        lambda_handler(request("gone"), FakeContext())

    assert get_item(ddb, "gone") is None


def test_open_circuit_defers_without_claim_or_publish(ddb, table, topic, alarm, calls) -> None:
    alarm("ALARM")
    put_message(ddb, "order-1")

    result = lambda_handler(request("order-1"), FakeContext())

    assert result == {"outcome": "deferred", "alarmState": "ALARM"}
    assert calls.calls == ["cloudwatch:DescribeAlarms"]
    assert model.STATUS not in get_item(ddb, "order-1")


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param("missing-alarm", id="alarm-missing"),
        pytest.param("no-alarm-configured", id="not-configured"),
        pytest.param("read-fails", id="read-fails"),
        pytest.param("insufficient-data", id="insufficient-data"),
    ],
)
def test_circuit_counts_as_closed_unless_the_alarm_says_alarm(
    monkeypatch, ddb, table, topic, alarm, fail_calls, setup
) -> None:
    match setup:
        case "missing-alarm":
            monkeypatch.setenv("CIRCUIT_ALARM_NAME", "no-such-alarm")
        case "no-alarm-configured":
            monkeypatch.setenv("CIRCUIT_ALARM_NAME", "")
        case "read-fails":
            alarm("ALARM")
            fail_calls("cloudwatch.DescribeAlarms", "AccessDenied")
        case "insufficient-data":
            alarm("INSUFFICIENT_DATA")
    put_message(ddb, "order-1")

    assert lambda_handler(request("order-1"), FakeContext())["outcome"] == "published"


def test_alarm_is_read_by_time_not_per_message(ddb, table, alarm, calls) -> None:
    alarm("ALARM")  # deferring makes no other call, so 1,000 messages stay fast
    clock = FakeClock()
    handler.reset_container(clock)

    for i in range(1000):
        lambda_handler(request(f"m-{i}"), FakeContext())
        clock.advance(0.1)  # 1,000 messages over 100 seconds

    # ALARM_CACHE_SECONDS defaults to 10: one read per 10 seconds of traffic.
    assert calls.count("cloudwatch:DescribeAlarms") == 10


def test_alarm_cache_follows_alarm_cache_seconds(monkeypatch, ddb, table, alarm, calls) -> None:
    monkeypatch.setenv("ALARM_CACHE_SECONDS", "2")
    alarm("ALARM")
    clock = FakeClock()
    handler.reset_container(clock)

    for _ in range(100):
        lambda_handler(request("m"), FakeContext())
        clock.advance(0.1)

    assert calls.count("cloudwatch:DescribeAlarms") == 5


def test_circuit_closing_is_seen_within_the_cache_interval(ddb, table, topic, alarm) -> None:
    alarm("ALARM")
    clock = FakeClock()
    handler.reset_container(clock)
    put_message(ddb, "order-1")
    assert lambda_handler(request("order-1"), FakeContext())["outcome"] == "deferred"

    alarm("OK")
    clock.advance(10)

    assert lambda_handler(request("order-1"), FakeContext())["outcome"] == "published"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(None, id="null"),
        pytest.param({"run": 1, "attempt": 1}, id="no-id"),
        pytest.param({"id": "", "run": 1, "attempt": 1}, id="empty-id"),
        pytest.param({"id": "k", "run": "1", "attempt": 1}, id="run-as-string"),
        pytest.param({"id": "k", "run": 1, "attempt": 0}, id="attempt-zero"),
        pytest.param({"id": "k", "run": True, "attempt": 1}, id="run-bool"),
    ],
)
def test_malformed_payload_raises_invalid_request(table, topic, alarm, calls, payload) -> None:
    with pytest.raises(InvalidRequestError):
        lambda_handler(payload, FakeContext())
    assert calls.calls == []
