"""``items``: exactly the items in a status, newest first, read within a stated bound."""

from __future__ import annotations

import json
from typing import Any

import pytest
from operate_world import Cli, put_failed, put_item

STATUSES = ["Processing", "Successful", "Failure", "Retrying", "Invalid", "Exhausted"]


def seed() -> dict[str, list[str]]:
    """Two items per status (newest second), one item with no status yet."""
    expected: dict[str, list[str]] = {}
    for n, status in enumerate(STATUSES):
        keys = []
        for i in range(2):
            key, when = f"{status.lower()}-{i}", f"2025-01-0{1 + i}T00:00:0{n}.000Z"
            if status in ("Failure", "Retrying"):
                put_failed(key, attempts=1, updated_at=when, status=status)
            else:
                put_item(key, status, updated_at=when, attempts=1, run=1)
            keys.append(key)
        expected[status] = keys[::-1]  # newest first
    put_item("fresh")  # just inserted: no status
    return expected


def items(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("items", "--env", "dev", *args, "--output", "json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout)["details"]["items"])


@pytest.mark.parametrize("status", STATUSES)
def test_status_lists_exactly_its_items_newest_first(cli: Cli, status: str) -> None:
    expected = seed()

    found = items(cli, "--status", status)

    assert [row["id"] for row in found["rows"]] == expected[status]
    indexed = status in ("Failure", "Retrying")
    assert found["source"] == ("retry-index" if indexed else "table scan")
    # The index path reads the 4 indexed items and their 4 index rows, not the table's 13.
    assert found["read"] == (8 if indexed else 13)
    assert found["complete"] is True


def test_without_status_every_item_is_listed_newest_first(cli: Cli) -> None:
    seed()

    found = items(cli)

    ids = [row["id"] for row in found["rows"]]
    assert len(ids) == 13 and ids[-1] == "fresh"  # no updated_at: last
    times = [row["updated_at"] for row in found["rows"][:-1]]
    assert times == sorted(times, reverse=True)


def test_limit_keeps_the_newest(cli: Cli) -> None:
    seed()

    found = items(cli, "--limit", "1", "--status", "Failure")

    assert [row["id"] for row in found["rows"]] == ["failure-1"]
    assert found["matched"] == 2


def test_a_scan_stopped_by_the_limit_says_the_list_may_be_incomplete(cli: Cli) -> None:
    seed()

    result = cli("items", "--env", "dev", "--status", "Successful", "--scan-limit", "5")

    assert result.exit_code == 0, result.output
    assert "read 5 items through the table scan (stopped at --scan-limit" in result.stdout


def test_an_index_read_stopped_by_the_limit_says_so_too(cli: Cli) -> None:
    seed()

    found = items(cli, "--status", "Failure", "--scan-limit", "1")

    assert found["complete"] is False and found["source"] == "retry-index"
    assert found["read"] == 2  # one index row, one item


def test_text_output_lists_id_status_attempts_and_reason(cli: Cli) -> None:
    put_failed("f-1", attempts=2, updated_at="2025-01-01T00:00:00.000Z")

    result = cli("items", "--env", "dev", "--status", "Failure")

    assert result.exit_code == 0, result.output
    assert "Failure items in disa-dev-messages, newest first (1 of 1 found):" in result.stdout
    assert "2025-01-01T00:00:00.000Z  Failure     attempts 2   f-1 (PublishError)" in result.stdout


def test_a_status_that_is_not_one_is_a_usage_error(cli: Cli) -> None:
    result = cli("items", "--env", "dev", "--status", "Failed")

    assert result.exit_code == 2
    assert "'Failed' is not one of" in result.output
