"""DynamoDB gateway for the messages table: counts, one item, bounded scans, batch reads.

Values come back plain (``{"S": "x"}`` becomes ``"x"``, numbers become ``int`` or ``float``)
with each attribute's DynamoDB type kept beside them, so callers never handle the wire
format. Every read that can grow with the table is bounded by the caller and reports what
it read: a scan says how many items it evaluated, whether it reached the end, and the read
units DynamoDB charged (``ReturnConsumedCapacity``). A projection narrows what comes back,
not what is charged: DynamoDB bills a read by the whole item's size.

``status`` counts with one paginated Scan projecting only ``status`` (counted client-side)
rather than one ``Select=COUNT`` Scan per status: both read every item, so one pass is N
times cheaper than N passes. Before it, DescribeTable's ``ItemCount`` (free, refreshed about
every six hours) tells whether the table is small enough to count.

Every call goes through :func:`aws_call`: a failure names the operation and the endpoint,
and an answer that is not DynamoDB's (an HTML page with HTTP 200, which botocore parses as
an empty reply) is "not a valid AWS answer", never "no such item".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployer.errors import DeployError, DeployFailedError
from deployer.gateways.base import aws_call, cause_code

NEW = "(new)"


class ReadDenied(Exception):
    """IAM refused a read of the whole item (a policy may list the attributes it allows)."""


BATCH_KEYS = 100  # BatchGetItem's limit per request
UNPROCESSED_ROUNDS = 5


@dataclass(frozen=True)
class Item:
    values: Mapping[str, Any]  # plain values
    types: Mapping[str, str]  # attribute name -> DynamoDB type (S, N, B, M, ...)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


@dataclass
class ScanResult:
    items: list[Item] = field(default_factory=list)
    scanned: int = 0  # items DynamoDB evaluated (what a scan is charged for)
    complete: bool = True  # False: stopped at the caller's limit before the end
    read_units: float = 0.0


class MessageTable:
    def __init__(self, client: Any, sleep: Callable[[float], None] | None = None) -> None:
        self.client = client
        self.sleep = sleep or (lambda seconds: None)

    def approximate_item_count(self, table: str) -> int | None:
        """DynamoDB's periodically refreshed item count, or None if the table does not exist."""
        answer = self._call(f"describe {table}", "describe_table", TableName=table)
        return None if answer is None else int(answer["Table"].get("ItemCount", 0))

    def count_by_status(self, table: str) -> dict[str, int] | None:
        """Counts per status, or None if the table does not exist."""
        counts: Counter[str] = Counter()
        request: dict[str, Any] = {"TableName": table, "ProjectionExpression": "#s",
                                   "ExpressionAttributeNames": {"#s": "status"}}  # fmt: skip
        while True:
            page = self._call(f"count items in {table}", "scan", **request)
            if page is None:
                return None
            for item in page.get("Items", []):
                counts[item.get("status", {}).get("S", NEW)] += 1
            if "LastEvaluatedKey" not in page:
                return dict(sorted(counts.items()))
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_new_message(self, table: str, key: str, message: str) -> None:
        """Write ``{id, message}`` as a user's application would; never overwrite an item."""
        aws_call(self.client, "put_item", f"write item {key} to {table}", TableName=table,
                 Item={"id": {"S": key}, "message": {"S": message}},
                 ConditionExpression="attribute_not_exists(id)")  # fmt: skip

    def get_item(self, table: str, key: str, names: Sequence[str] = ()) -> Item | None:
        """One item by key, strongly consistent; ``names`` projects (all attributes if empty)."""
        request: dict[str, Any] = {"TableName": table, "Key": {"id": {"S": key}}}
        request["ConsistentRead"] = True
        request.update(_projection(names))
        answer = self._call(f"read item {key} from {table}", "get_item", **request)
        if answer is None or "Item" not in answer:
            return None
        return decode(answer["Item"])

    def get_whole_item(self, table: str, key: str) -> Item | None:
        """The item with every attribute, body included; :class:`ReadDenied` if the caller's
        policy allows reading only some attributes (``dynamodb:Attributes``)."""
        try:
            return self.get_item(table, key)
        except DeployError as err:
            if cause_code(err) in ("AccessDeniedException", "AccessDenied"):
                raise ReadDenied(err.message) from err
            raise

    def scan(self, table: str, names: Sequence[str], max_scanned: int, index: str | None = None,
             status: str | None = None) -> ScanResult:  # fmt: skip
        """Items of the table (or a sparse ``index``), evaluating at most ``max_scanned``.

        ``status`` filters on the server: it shrinks the answer, not the read (a scan is
        charged for every item it evaluates). ``max_scanned`` 0 means no limit.
        """
        result = ScanResult()
        for page in self._scan_pages(table, names, max_scanned, index, status):
            result.items.extend(decode(raw) for raw in page.get("Items", []))
            result.scanned += int(page.get("ScannedCount", 0))
            result.read_units += _units(page)
            result.complete = "LastEvaluatedKey" not in page
        return result

    def _scan_pages(self, table: str, names: Sequence[str], max_scanned: int,
                    index: str | None, status: str | None) -> Iterator[dict[str, Any]]:  # fmt: skip
        request: dict[str, Any] = {"TableName": table, "ReturnConsumedCapacity": "TOTAL"}
        request.update(_projection(names))
        if index:
            request["IndexName"] = index
        if status:
            request["FilterExpression"] = "#status = :status"
            request.setdefault("ExpressionAttributeNames", {})["#status"] = "status"
            request["ExpressionAttributeValues"] = {":status": {"S": status}}
        scanned = 0
        while True:
            if max_scanned:
                request["Limit"] = max(1, max_scanned - scanned)  # pages stay within 1 MB
            answer = self._call(f"scan {index or table}", "scan", **request)
            if answer is None:
                return
            yield answer
            scanned += int(answer.get("ScannedCount", 0))
            if "LastEvaluatedKey" not in answer or (max_scanned and scanned >= max_scanned):
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def batch_get(self, table: str, keys: Sequence[str], names: Sequence[str]) -> ScanResult:
        """The items with these keys (missing ones left out), eventually consistent."""
        result = ScanResult()
        for start in range(0, len(keys), BATCH_KEYS):
            chunk = [{"id": {"S": key}} for key in keys[start : start + BATCH_KEYS]]
            self._batch(table, chunk, names, result)
        return result

    def _batch(self, table: str, keys: list[dict[str, Any]], names: Sequence[str],
               result: ScanResult) -> None:  # fmt: skip
        wanted: dict[str, Any] = {"Keys": keys, **_projection(names)}
        for round_ in range(UNPROCESSED_ROUNDS):
            request = {"RequestItems": {table: wanted}, "ReturnConsumedCapacity": "TOTAL"}
            answer = self._call(f"read items of {table}", "batch_get_item", **request)
            if answer is None:
                return
            result.items.extend(decode(raw) for raw in answer.get("Responses", {}).get(table, []))
            result.scanned += len(answer.get("Responses", {}).get(table, []))
            result.read_units += sum(_units({"ConsumedCapacity": c})
                                     for c in answer.get("ConsumedCapacity", []))  # fmt: skip
            left = answer.get("UnprocessedKeys", {}).get(table)
            if not left:
                return
            wanted = left
            if round_ + 1 < UNPROCESSED_ROUNDS:
                self.sleep(0.1 * 2**round_)  # DynamoDB's advice: back off before asking again
        raise DeployFailedError(f"read items of {table}: DynamoDB left keys unprocessed",
                                hint="the table is throttled; try again later")  # fmt: skip

    def _call(self, action: str, method: str, **request: Any) -> Any:
        """The call's answer, or None when the table does not exist."""
        try:
            return aws_call(self.client, method, action, **request)
        except DeployError as err:
            if cause_code(err) == "ResourceNotFoundException":
                return None
            raise


def decode(raw: Mapping[str, Mapping[str, Any]]) -> Item:
    values = {name: plain(value) for name, value in raw.items()}
    types = {name: next(iter(value), "?") for name, value in raw.items()}
    return Item(values, types)


def plain(value: Mapping[str, Any]) -> Any:
    """One attribute value without its type wrapper (sets become sorted lists)."""
    kind, inner = next(iter(value.items()))
    if kind == "N":
        number = float(inner)
        return int(number) if number.is_integer() and "." not in inner else number
    if kind in ("NS", "SS", "BS"):
        return sorted(plain({kind[0]: v}) for v in inner)
    if kind == "L":
        return [plain(v) for v in inner]
    if kind == "M":
        return {k: plain(v) for k, v in inner.items()}
    if kind == "NULL":
        return None
    return inner  # S, B (bytes), BOOL


def _projection(names: Sequence[str]) -> dict[str, Any]:
    if not names:
        return {}
    aliases = {f"#p{i}": name for i, name in enumerate(names)}
    return {"ProjectionExpression": ", ".join(aliases), "ExpressionAttributeNames": aliases}


def _units(page: Mapping[str, Any]) -> float:
    consumed = page.get("ConsumedCapacity") or {}
    return float(consumed.get("CapacityUnits", 0) or 0)
