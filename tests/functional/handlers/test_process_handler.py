"""disa_process against moto: circuit, conditional claim, publish, named errors, metrics."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from disa_common import model
from disa_common.container import Container
from disa_common.errors import ClaimConflictError, InvalidRequestError, PublishError
from disa_process.handler import lambda_handler
from handler_support import BODY, TABLE, FakeClock, FakeContext, get_item, put_message

TOKEN = "0123456789ab"  # the request token of the tests' executions
OTHER = "ba9876543210"  # another request's


INSTANCE = "arn:aws:states:us-east-1:123456789012:express:disa-test-state-machine:{}:{}"


def request(
    key: str, run: int = 1, attempt: int = 1, token: str = TOKEN, instance: str = "a1"
) -> dict[str, object]:
    """The Process task's payload, as the ASL builds it: ``owner`` is the execution
    instance's ARN (an Express one here: name, then an id of its own)."""
    name = model.execution_name(key, token, run)
    return {
        "id": key,
        "request": token,
        "run": run,
        "attempt": attempt,
        "execution": name,
        "owner": INSTANCE.format(name, instance),
    }


def old_request(key: str, run: int = 1, attempt: int = 1) -> dict[str, object]:
    """The payload of a state machine deployed before owners (still running an execution
    during an update): no ``owner``."""
    payload = request(key, run, attempt)
    del payload["owner"]
    return payload


def with_clock(container: Container, clock: FakeClock) -> Container:
    """The same session (and call hooks) with a monotonic clock the test moves."""
    return Container(container.session, monotonic=clock)


def test_claims_then_publishes_with_the_key_attribute(
    container, ddb, table, topic, subscriber, alarm, logs
) -> None:
    put_message(ddb, "order-1")

    result = lambda_handler(request("order-1"), FakeContext(), container)

    assert result["outcome"] == "published"
    (envelope,) = subscriber()
    assert envelope["MessageId"] == result["messageId"]
    assert envelope["Message"] == f"{BODY} for order-1"
    assert envelope["MessageAttributes"]["disa_id"] == {"Type": "String", "Value": "order-1"}
    item = get_item(ddb, "order-1")
    assert item[model.STATUS] == {"S": "Processing"}
    assert (item[model.RUN], item[model.ATTEMPTS]) == ({"N": "1"}, {"N": "1"})
    assert item[model.EXECUTION] == {"S": model.execution_name("order-1", TOKEN, 1)}
    assert item[model.REQUEST] == {"S": TOKEN}
    (metric,) = logs.metrics("PublishSuccesses")
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "DISA"
    assert metric["Environment"] == "test"


def retrying(ddb, key: str) -> None:
    put_message(
        ddb,
        key,
        status={"S": "Retrying"},
        run={"N": "3"},
        request={"S": TOKEN},
        attempts={"N": "2"},
        retry_shard={"S": "9"},
        next_attempt_at={"N": "5"},
    )


def test_a_claim_is_a_lease_in_the_retry_index_owned_by_the_instance(
    container, ddb, table, topic, alarm
) -> None:
    retrying(ddb, "order-1")
    clocked = Container(container.session, clock=lambda: 1_000.0)

    payload = request("order-1", run=3, attempt=3)
    assert lambda_handler(payload, FakeContext(), clocked)["outcome"] == "published"

    item = get_item(ddb, "order-1")
    assert item[model.ATTEMPTS] == {"N": "3"}
    assert item[model.OWNER] == {"S": payload["owner"]}
    # Due again when the lease ends (RETRY_LEASE_SECONDS, 900): disa_retry re-drives the
    # item only if this run never records an outcome. Shard: as disa_retry reads it.
    assert item[model.NEXT_ATTEMPT_AT] == {"N": "1900"}
    assert item[model.RETRY_SHARD] == {"S": model.retry_shard("order-1", 4)}


def test_a_claim_from_a_definition_without_owners_is_no_lease(
    container, ddb, table, topic, alarm
) -> None:
    retrying(ddb, "order-1")

    payload = old_request("order-1", run=3, attempt=3)
    assert lambda_handler(payload, FakeContext(), container)["outcome"] == "published"

    # Its RecordSuccess does not take the item out of the index: so the claim does.
    item = get_item(ddb, "order-1")
    assert model.RETRY_SHARD not in item and model.NEXT_ATTEMPT_AT not in item
    assert item[model.OWNER] == {"S": payload["execution"]}


def test_another_instance_of_the_same_execution_name_never_claims_nor_publishes(
    container, ddb, table, topic, subscriber, alarm
) -> None:
    put_message(ddb, "order-1")
    lambda_handler(request("order-1", instance="first"), FakeContext(), container)

    with pytest.raises(ClaimConflictError):
        lambda_handler(request("order-1", instance="second"), FakeContext(), container)

    assert len(subscriber()) == 1
    # The first instance itself may claim again (a retried Process task).
    again = lambda_handler(request("order-1", instance="first"), FakeContext(), container)
    assert again["outcome"] == "published"


def test_publish_failure_raises_publish_error_with_metric_and_no_body(
    container, ddb, table, alarm, logs
) -> None:
    put_message(ddb, "order-1")  # no topic: SNS answers NotFound

    with pytest.raises(PublishError) as raised:
        lambda_handler(request("order-1"), FakeContext(), container)

    # Lambda reports the class name as errorType: the ASL's Catch matches on it.
    assert type(raised.value).__name__ == "PublishError"
    assert str(raised.value) == "NotFound"
    assert BODY not in str(raised.value)
    (metric,) = logs.metrics("PublishFailures")
    assert metric["PublishFailures"] == 1 and metric["id"] == "order-1"
    assert metric["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Environment"]]
    (failure,) = logs.events("publish failed")
    assert failure["error"] == "NotFound"
    assert failure["execution"] == model.execution_name("order-1", TOKEN, 1)


def mine(key: str, run: int = 1) -> str:
    """The owner (instance ARN) of run ``run`` of ``key`` in these tests."""
    return str(request(key, run)["owner"])


@pytest.mark.parametrize(
    ("case", "attributes", "run"),
    [
        pytest.param(
            "successful",
            {"status": {"S": "Successful"}, "run": {"N": "1"}, "request": {"S": TOKEN}},
            1,
            id="successful-by-another-execution-of-this-request-and-run",
        ),
        pytest.param(
            "mine-done",
            {
                "status": {"S": "Successful"},
                "run": {"N": "1"},
                "request": {"S": TOKEN},
                "owner": {"S": mine("mine-done", 1)},
            },
            1,
            id="successful-by-this-execution",
        ),
        pytest.param(
            "by-hand",
            {
                "status": {"S": "OnHold"},
                "run": {"N": "1"},
                "request": {"S": TOKEN},
                "owner": {"S": mine("by-hand", 1)},
            },
            1,
            id="status-set-by-hand-while-owned-by-this-execution",
        ),
        pytest.param(
            "stale-run",
            {"status": {"S": "Retrying"}, "run": {"N": "2"}, "request": {"S": TOKEN}},
            1,
            id="retrying-for-a-newer-run",
        ),
        pytest.param(
            "lease-taken",
            {
                "status": {"S": "Retrying"},
                "run": {"N": "2"},
                "request": {"S": TOKEN},
                "owner": {"S": mine("lease-taken", 1)},
            },
            1,
            id="re-driven-after-this-execution-s-lease-ended",
        ),
        pytest.param(
            "other-request",
            {"status": {"S": "Retrying"}, "run": {"N": "2"}, "request": {"S": OTHER}},
            2,
            id="retrying-for-another-request",
        ),
        pytest.param(
            "owned-elsewhere",
            {
                "status": {"S": "Processing"},
                "run": {"N": "1"},
                "request": {"S": OTHER},
                "owner": {"S": str(request("owned-elsewhere", token=OTHER)["owner"])},
            },
            1,
            id="processing-by-another-execution-of-the-same-run",
        ),
        pytest.param(
            "processing-newer",
            {
                "status": {"S": "Processing"},
                "run": {"N": "2"},
                "owner": {"S": mine("processing-newer", 2)},
            },
            1,
            id="processing-by-a-newer-run",
        ),
        pytest.param(
            "failure",
            {"status": {"S": "Failure"}, "run": {"N": "1"}, "request": {"S": TOKEN}},
            1,
            id="failure-of-this-request-and-run",
        ),
        pytest.param("invalid", {"status": {"S": "Invalid"}}, 1, id="invalid"),
        pytest.param("exhausted", {"status": {"S": "Exhausted"}, "run": {"N": "5"}}, 5, id="end"),
    ],
)
def test_claim_losing_its_condition_raises_claim_conflict_and_publishes_nothing(
    container, ddb, table, topic, alarm, calls, case, attributes, run
) -> None:
    put_message(ddb, case, **attributes)
    before = get_item(ddb, case)

    with pytest.raises(ClaimConflictError, match=f"not claimable by run {run}"):
        lambda_handler(request(case, run=run), FakeContext(), container)

    assert get_item(ddb, case) == before
    assert calls.count("sns:Publish") == 0
    assert calls.count("dynamodb:UpdateItem") == 1  # the claim, and nothing after it


@pytest.mark.parametrize(
    ("case", "attributes", "run"),
    [
        pytest.param("fresh", {}, 1, id="fresh-item"),
        pytest.param(
            "leased",
            {"status": {"S": "Retrying"}, "run": {"N": "4"}, "request": {"S": TOKEN}},
            4,
            id="retrying-leased-to-this-run",
        ),
        pytest.param(
            "mine",
            {"status": {"S": "Processing"}, "run": {"N": "2"}, "owner": {"S": mine("mine", 2)}},
            2,
            id="claimed-by-this-execution-before-a-task-retry",
        ),
    ],
)
def test_claimable_items_are_claimed_by_this_execution(
    container, ddb, table, topic, alarm, case, attributes, run
) -> None:
    put_message(ddb, case, **attributes)

    assert lambda_handler(request(case, run=run), FakeContext(), container)["outcome"] == (
        "published"
    )
    item = get_item(ddb, case)
    assert item[model.OWNER] == {"S": mine(case, run)}
    assert item[model.EXECUTION] == {"S": model.execution_name(case, TOKEN, run)}
    assert (item[model.REQUEST], item[model.RUN]) == ({"S": TOKEN}, {"N": str(run)})


def test_a_fresh_item_sends_what_it_holds_whoever_claims_it(
    container, ddb, table, topic, subscriber, alarm
) -> None:
    """An execution of an older request that reaches an overwritten item first sends the
    new message, once; the new request's own execution then finds it owned."""
    put_message(ddb, "k", {"S": f"{BODY} new"})

    old = lambda_handler(request("k", token=OTHER), FakeContext(), container)
    with pytest.raises(ClaimConflictError):
        lambda_handler(request("k"), FakeContext(), container)

    assert old["outcome"] == "published"
    assert [envelope["Message"] for envelope in subscriber()] == [f"{BODY} new"]


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "AccessDeniedException", "InternalServerError"]
)
def test_a_claim_failing_for_any_other_reason_raises_that_error(
    container, ddb, table, topic, alarm, calls, fail_calls, code
) -> None:
    put_message(ddb, "order-1")
    fail_calls("dynamodb.UpdateItem", code)

    with pytest.raises(ClientError) as raised:
        lambda_handler(request("order-1"), FakeContext(), container)

    # Lambda reports errorType "ClientError": the ASL's States.ALL Catch records a Failure
    # (retried later), where ClaimConflictError would end the run without any status.
    assert type(raised.value).__name__ == "ClientError"
    assert raised.value.response["Error"]["Code"] == code
    assert calls.count("sns:Publish") == 0
    assert model.STATUS not in get_item(ddb, "order-1")


@pytest.mark.parametrize(
    ("case", "message", "reason"),
    [
        pytest.param("binary", {"B": BODY.encode()}, "NotAString", id="binary"),
        pytest.param("empty", {"S": ""}, "EmptyMessage", id="empty"),
        pytest.param("huge", {"S": BODY * 7000}, "TooLarge", id="too-large"),
    ],
)
def test_a_claimed_item_whose_message_was_overwritten_invalid_is_marked_invalid(
    container, ddb, table, topic, alarm, calls, logs, case, message, reason
) -> None:
    put_message(ddb, case, message)

    result = lambda_handler(request(case), FakeContext(), container)

    assert result == {"outcome": "invalid", "reason": reason}
    item = get_item(ddb, case)
    assert (item[model.STATUS], item[model.REASON]) == ({"S": "Invalid"}, {"S": reason})
    assert calls.count("sns:Publish") == 0
    (metric,) = logs.metrics("InvalidItems")
    assert metric["id"] == case


def test_a_missing_message_at_claim_time_is_invalid(container, ddb, table, topic, alarm) -> None:
    ddb.put_item(TableName=TABLE, Item={model.KEY: {"S": "bare"}})

    assert lambda_handler(request("bare"), FakeContext(), container)["reason"] == "MissingMessage"


@pytest.mark.parametrize(
    ("case", "takeover"),
    [
        pytest.param("overwritten", None, id="overwritten-by-a-new-request"),
        pytest.param(
            "other",
            {"status": {"S": "Processing"}, "owner": {"S": "another-execution"}},
            id="claimed-by-another-execution",
        ),
        pytest.param("by-hand", {"status": {"S": "OnHold"}}, id="status-set-by-hand"),
    ],
)
def test_marking_invalid_after_losing_the_item_is_a_conflict(
    container, ddb, table, topic, alarm, logs, case, takeover
) -> None:
    put_message(ddb, case, {"S": ""})

    def lose_the_item(params, **_):
        if ":invalid" not in params["ExpressionAttributeValues"]:
            return
        if takeover is None:
            put_message(ddb, case)  # a valid message, a new request: not ours to mark
        else:
            names = {f"#a{i}": name for i, name in enumerate(takeover)}
            ddb.update_item(
                TableName=TABLE,
                Key={model.KEY: {"S": case}},
                UpdateExpression="SET " + ", ".join(f"{n} = :v{n[2:]}" for n in names),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    f":v{i}": value for i, value in enumerate(takeover.values())
                },
            )

    container.session.events.register("before-parameter-build.dynamodb.UpdateItem", lose_the_item)

    with pytest.raises(ClaimConflictError):
        lambda_handler(request(case), FakeContext(), container)

    item = get_item(ddb, case)
    assert item.get(model.STATUS, {}).get("S") != "Invalid"
    assert logs.metrics("InvalidItems") == []


def test_a_failed_invalid_mark_raises_the_aws_error(
    container, ddb, table, topic, alarm, fail_calls
) -> None:
    put_message(ddb, "k", {"S": ""})
    fail_calls(
        "dynamodb.UpdateItem",
        "ThrottlingException",
        lambda params: ":invalid" in params["ExpressionAttributeValues"],
    )

    with pytest.raises(ClientError, match="ThrottlingException"):
        lambda_handler(request("k"), FakeContext(), container)
    assert get_item(ddb, "k")[model.STATUS] == {"S": "Processing"}


def test_deleted_item_is_a_conflict_and_is_not_recreated(
    container, ddb, table, topic, alarm
) -> None:
    with pytest.raises(ClaimConflictError):
        lambda_handler(request("gone"), FakeContext(), container)

    assert get_item(ddb, "gone") is None


def test_open_circuit_defers_without_claim_or_publish(
    container, ddb, table, topic, alarm, calls, logs
) -> None:
    alarm("ALARM")
    put_message(ddb, "order-1")

    result = lambda_handler(request("order-1"), FakeContext(), container)

    assert result == {"outcome": "deferred", "alarmState": "ALARM"}
    assert calls.calls == ["cloudwatch:DescribeAlarms"]
    assert model.STATUS not in get_item(ddb, "order-1")
    # The dashboard's "deferred" chart counts these.
    (metric,) = logs.metrics("Deferred")
    assert metric["Deferred"] == 1 and metric["id"] == "order-1"


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
    container, monkeypatch, ddb, table, topic, alarm, fail_calls, setup
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

    assert lambda_handler(request("order-1"), FakeContext(), container)["outcome"] == "published"


def test_alarm_is_read_by_time_not_per_message(container, ddb, table, alarm, calls) -> None:
    alarm("ALARM")  # deferring makes no other call, so 1,000 messages stay fast
    clock = FakeClock()
    container = with_clock(container, clock)

    for i in range(1000):
        lambda_handler(request(f"m-{i}"), FakeContext(), container)
        clock.advance(0.1)  # 1,000 messages over 100 seconds

    # ALARM_CACHE_SECONDS defaults to 10: one read per 10 seconds of traffic.
    assert calls.count("cloudwatch:DescribeAlarms") == 10


def test_alarm_cache_follows_alarm_cache_seconds(
    container, monkeypatch, ddb, table, alarm, calls
) -> None:
    monkeypatch.setenv("ALARM_CACHE_SECONDS", "2")
    alarm("ALARM")
    clock = FakeClock()
    container = with_clock(container, clock)

    for _ in range(100):
        lambda_handler(request("m"), FakeContext(), container)
        clock.advance(0.1)

    assert calls.count("cloudwatch:DescribeAlarms") == 5


def test_circuit_closing_is_seen_within_the_cache_interval(
    container, ddb, table, topic, alarm
) -> None:
    alarm("ALARM")
    clock = FakeClock()
    container = with_clock(container, clock)
    put_message(ddb, "order-1")
    assert lambda_handler(request("order-1"), FakeContext(), container)["outcome"] == "deferred"

    alarm("OK")
    clock.advance(10)

    assert lambda_handler(request("order-1"), FakeContext(), container)["outcome"] == "published"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(None, id="null"),
        pytest.param({"run": 1, "attempt": 1}, id="no-id"),
        pytest.param({"id": "", "run": 1, "attempt": 1}, id="empty-id"),
        pytest.param({"id": "k", "run": "1", "attempt": 1}, id="run-as-string"),
        pytest.param({"id": "k", "run": 1, "attempt": 0}, id="attempt-zero"),
        pytest.param({"id": "k", "run": True, "attempt": 1}, id="run-bool"),
        pytest.param({"id": "k", "run": 1, "attempt": 1, "request": ""}, id="empty-request"),
        pytest.param({"id": "k", "run": 1, "attempt": 1, "request": 7}, id="request-number"),
    ],
)
def test_malformed_payload_raises_invalid_request(
    container, table, topic, alarm, calls, payload
) -> None:
    with pytest.raises(InvalidRequestError):
        lambda_handler(payload, FakeContext(), container)
    assert calls.calls == []


def test_a_changed_alarm_setting_gets_a_breaker_of_its_own(
    container, monkeypatch, ddb, table, topic, alarm
) -> None:
    """The breaker is kept per (alarm, cache interval): a new configuration is seen at once."""
    alarm("ALARM")
    put_message(ddb, "order-1")
    assert lambda_handler(request("order-1"), FakeContext(), container)["outcome"] == "deferred"

    monkeypatch.setenv("CIRCUIT_ALARM_NAME", "")

    assert lambda_handler(request("order-1"), FakeContext(), container)["outcome"] == "published"
