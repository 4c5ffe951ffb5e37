"""The cost model's arithmetic, checked by hand on small cases (tests/benchmarks/cost_model.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import cost_model  # noqa: E402
from cost_model import Price, Write  # noqa: E402
from prices import PRICES  # noqa: E402

SMALL_TABLE = {
    "lambda.requests": Price("Lambda", 0.20 / 1e6, "request", "test"),
    "lambda.arm64_gb_seconds": Price("Lambda", 0.0000133334, "GB-s", "test"),
    "states.standard_transitions": Price("Step Functions", 0.025 / 1000, "transition", "test"),
    "dynamodb.write_request_units": Price("DynamoDB", 0.625 / 1e6, "WRU", "test"),
}


def test_price_table_times_units_per_service_by_hand() -> None:
    # One message: 2 invocations of 0.05 GB-s, 3 transitions, 4 writes.
    # Lambda: 2 x 0.20 + 0.05 x 13.3334 x 1e6 / 1e6 ... per 1M messages:
    #   requests 2 x $0.20 = $0.40; duration 0.05 x $0.0000133334 x 1e6 = $0.66667
    # Step Functions: 3 x $25 = $75.00; DynamoDB: 4 x $0.625 = $2.50.
    usage = {
        "lambda.requests": 2,
        "lambda.arm64_gb_seconds": 0.05,
        "states.standard_transitions": 3,
        "dynamodb.write_request_units": 4,
    }
    cost = cost_model.cost_per_million(usage, SMALL_TABLE)
    assert cost["Lambda"] == pytest.approx(0.40 + 0.66667, abs=1e-5)
    assert cost["Step Functions"] == pytest.approx(75.0)
    assert cost["DynamoDB"] == pytest.approx(2.5)
    assert sum(cost.values()) == pytest.approx(78.56667, abs=1e-5)


def test_a_unit_without_a_price_is_an_error_not_a_free_lunch() -> None:
    with pytest.raises(ValueError, match="no price for: sns.publishes"):
        cost_model.cost_per_million({"sns.publishes": 1}, SMALL_TABLE)


def test_every_price_names_its_source() -> None:
    assert all(p.source.startswith("https://") and p.dollars >= 0 for p in PRICES.values())


@pytest.mark.parametrize(
    ("case", "seconds", "gb_seconds"),
    [
        ("under 100 ms bills one step", 0.03, 0.1 * 64 / 1024),
        ("exactly 100 ms is one step", 0.1, 0.1 * 64 / 1024),
        ("250 ms rounds up to three", 0.25, 0.3 * 64 / 1024),
    ],
)
def test_express_duration_rounds_up_to_100_ms_at_64_mb(
    case: str, seconds: float, gb_seconds: float
) -> None:
    assert cost_model.express_gb_seconds(seconds) == pytest.approx(gb_seconds)


def test_lambda_gb_seconds_and_log_bytes() -> None:
    assert cost_model.lambda_gb_seconds(200, 256) == pytest.approx(0.05)
    assert cost_model.log_ingested_gb([74, 974]) == pytest.approx((100 + 1000) / 1e9)


def test_report_line_gives_billed_duration_and_memory() -> None:
    line = ("REPORT RequestId: 1f\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
            "Memory Size: 256 MB\tMax Memory Used: 80 MB")  # fmt: skip
    assert cost_model.parse_report(line) == (13.0, 256)
    assert cost_model.parse_report("START RequestId: 1f Version: $LATEST") is None


KEYS = frozenset({"retry_shard", "next_attempt_at"})
PROJECTED = frozenset({"run", "attempts"})


def update(key: str, expression: str, names: dict[str, str]) -> Write:
    return cost_model.write_of(
        {"Key": {"id": {"S": key}}, "UpdateExpression": expression,
         "ExpressionAttributeNames": names}
    )  # fmt: skip


def test_index_writes_follow_the_item_in_and_out_of_the_sparse_index() -> None:
    names = {"#s": "status", "#shard": "retry_shard", "#next": "next_attempt_at", "#run": "run"}
    writes = [
        cost_model.write_of({"Item": {"id": {"S": "a"}, "message": {"S": "m"}}}),  # 1 + 0
        update("a", "SET #s = :p REMOVE #shard, #next", names),  # not in the index: 1 + 0
        update("a", "SET #s = :f, #shard = :x, #next = :n", names),  # in: 1 + 1
        update("a", "SET #s = :r, #run = :r2, #next = :lease", names),  # key change: 1 + 2
        update("a", "SET #run = :r3", names),  # projected attribute: 1 + 1
        update("a", "SET #s = :p REMOVE #shard, #next", names),  # out: 1 + 1
        cost_model.write_of({"Item": {"id": {"S": "b"}, "message": {"S": "m"}}}),  # 1 + 0
    ]
    units = cost_model.write_request_units(writes, KEYS, PROJECTED)
    assert units == {"table": 7, "index": 5}


def test_an_overwrite_takes_the_item_out_of_the_index() -> None:
    names = {"#shard": "retry_shard", "#next": "next_attempt_at"}
    writes = [
        update("a", "SET #shard = :x, #next = :n", names),
        cost_model.write_of({"Item": {"id": {"S": "a"}, "message": {"S": "m"}}}),
    ]
    assert cost_model.write_request_units(writes, KEYS, PROJECTED) == {"table": 2, "index": 2}
