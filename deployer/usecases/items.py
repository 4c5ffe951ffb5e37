"""``items``: the items in a status, newest first (by ``updated_at``), read within a bound.

Two ways to find them, chosen by what is cheapest for the status asked:

- ``Failure`` and ``Retrying``: the sparse ``retry-index`` holds every such item (and the
  items ``Processing`` under disa_process's lease, filtered out here). The index is scanned
  (only keys, ``run`` and ``attempts``: a few bytes a row), then the items themselves are
  read by key with BatchGetItem (100 a call) for their status, reason and time. The cost
  follows the failures and the messages in flight, not the table.
- any other status (or none): a Scan of the table, filtered by status on the server and
  projected to the listed attributes, evaluating at most ``scan_limit`` items. DynamoDB
  charges a scan for every item it evaluates, whatever the filter and projection keep.

Either way at most ``scan_limit`` items are read; the result says how many were, whether
that was all of them, and the read units DynamoDB reported. Pages are followed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deployer.gateways.dynamodb import Item
from deployer.runtime import Runtime
from deployer.usecases.names import SystemNames, load_item_model

DEFAULT_LIMIT = 50
DEFAULT_SCAN_LIMIT = 10_000
INDEXED = ("Failure", "Retrying")  # what the retry index holds (disa_common.model)
LISTED = ("id", "status", "reason", "run", "attempts", "updated_at", "next_attempt_at")


@dataclass(frozen=True)
class ItemRow:
    id: str
    status: str | None
    reason: str | None = None
    run: int | None = None
    attempts: int | None = None
    updated_at: str | None = None
    next_attempt_at: int | None = None


@dataclass
class ItemsResult:
    table: str
    status: str | None
    rows: list[ItemRow] = field(default_factory=list)
    matched: int = 0  # items found in the status (rows holds the newest `limit` of them)
    source: str = "table scan"  # or "retry-index"
    read: int = 0  # items read (index rows and items, or items the scan evaluated)
    complete: bool = True  # False: the read stopped at scan_limit
    read_units: float = 0.0  # as DynamoDB reported them
    estimate: int | None = None  # DynamoDB's item count of the table (refreshed ~6 hourly)


def list_items(rt: Runtime, status: str | None, limit: int = DEFAULT_LIMIT,
               scan_limit: int = DEFAULT_SCAN_LIMIT) -> ItemsResult:  # fmt: skip
    names = SystemNames(rt.config.project, rt.config.name)
    stack = rt.stacks.describe(rt.config.stack_name)
    table = stack.outputs.get("TableName", names.table) if stack else names.table
    result = ItemsResult(table, status, estimate=rt.table.approximate_item_count(table))
    if status in INDEXED:
        found = _from_index(rt, result, load_item_model(rt.project).retry_index, scan_limit)
    else:
        found = _from_scan(rt, result, scan_limit)
    matched = [row for row in found if status is None or row.status == status]
    matched.sort(key=lambda row: row.updated_at or "", reverse=True)
    result.matched, result.rows = len(matched), matched[:limit]
    return result


def _from_index(rt: Runtime, result: ItemsResult, index: str, scan_limit: int) -> list[ItemRow]:
    result.source = index
    keys = rt.table.scan(result.table, ("id",), scan_limit, index=index)
    ids = [str(item.get("id")) for item in keys.items][: scan_limit or None]
    items = rt.table.batch_get(result.table, ids, LISTED)
    result.read = len(keys.items) + items.scanned
    result.complete = keys.complete
    result.read_units = keys.read_units + items.read_units
    return [_row(item) for item in items.items]


def _from_scan(rt: Runtime, result: ItemsResult, scan_limit: int) -> list[ItemRow]:
    scan = rt.table.scan(result.table, LISTED, scan_limit, status=result.status)
    result.read, result.complete, result.read_units = scan.scanned, scan.complete, scan.read_units
    return [_row(item) for item in scan.items]


def _row(item: Item) -> ItemRow:
    return ItemRow(
        id=str(item.get("id")),
        status=_str(item.get("status")),
        reason=_str(item.get("reason")),
        run=_int(item.get("run")),
        attempts=_int(item.get("attempts")),
        updated_at=_str(item.get("updated_at")),
        next_attempt_at=_int(item.get("next_attempt_at")),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
