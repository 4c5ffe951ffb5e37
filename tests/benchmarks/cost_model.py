"""The cost model's arithmetic: billed units per message, times the price table, per service.

Pure code (no AWS call, no emulator): ``bench_cost`` measures what a run used and turns it
into units with the functions here; ``prices.PRICES`` says what a unit costs. The rule it
keeps: every dollar printed is a measured count times one listed price, so a unit without a
price is an error, never a silent zero, and each billing rule (Express's 100 ms and 64 MB
steps, DynamoDB's 1 KB writes and index writes, Logs' bytes per event) is written once,
here, where the unit test can check it by hand.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MILLION = 1_000_000
LOG_EVENT_OVERHEAD_BYTES = 26  # CloudWatch Logs counts each event's UTF-8 bytes plus 26
EXPRESS_MEMORY_GB = 64 / 1024  # billed in 64 MB steps; DISA's executions fit in the first
EXPRESS_STEP_SECONDS = 0.1  # billed duration rounds up to 100 ms


@dataclass(frozen=True)
class Price:
    service: str
    dollars: float  # per unit
    unit: str
    source: str


def cost_per_million(
    units_per_message: Mapping[str, float], prices: Mapping[str, Price]
) -> dict[str, float]:
    """Dollars per one million messages, by service (insertion order of the prices)."""
    unknown = sorted(set(units_per_message) - set(prices))
    if unknown:
        raise ValueError(f"no price for: {', '.join(unknown)}")
    by_service: dict[str, float] = {}
    for key, price in prices.items():
        if key in units_per_message:
            dollars = units_per_message[key] * price.dollars * MILLION
            by_service[price.service] = by_service.get(price.service, 0.0) + dollars
    return by_service


def express_gb_seconds(duration_seconds: float) -> float:
    """What one Express execution of this duration bills: 100 ms steps at 64 MB."""
    steps = max(1, math.ceil(round(duration_seconds / EXPRESS_STEP_SECONDS, 9)))
    return steps * EXPRESS_STEP_SECONDS * EXPRESS_MEMORY_GB


def lambda_gb_seconds(billed_ms: float, memory_mb: int) -> float:
    return billed_ms / 1000 * memory_mb / 1024


def log_ingested_gb(event_sizes: Iterable[int]) -> float:
    """GB (10^9 bytes, as AWS bills data) of log events of these UTF-8 sizes."""
    return sum(size + LOG_EVENT_OVERHEAD_BYTES for size in event_sizes) / 1e9


_REPORT = re.compile(r"Billed Duration: (\d+(?:\.\d+)?) ms\s+Memory Size: (\d+) MB")


def parse_report(line: str) -> tuple[float, int] | None:
    """(billed ms, memory MB) of a Lambda REPORT line; None for any other line."""
    match = _REPORT.search(line) if line.startswith("REPORT RequestId:") else None
    return (float(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class Write:
    """One DynamoDB item write: which item, and which attributes it SETs and REMOVEs."""

    key: str
    sets: frozenset[str]
    removes: frozenset[str]
    replaces: bool = False  # a PutItem: what it does not set is gone


def write_of(request: Mapping[str, object]) -> Write:
    """The Write a PutItem or UpdateItem request body makes (attribute names resolved)."""
    names = request.get("ExpressionAttributeNames") or {}
    assert isinstance(names, dict)
    if "Item" in request:
        item = request["Item"]
        assert isinstance(item, dict)
        return Write(str(item["id"]["S"]), frozenset(item), frozenset(), replaces=True)
    key = request["Key"]
    assert isinstance(key, dict)
    expression = str(request.get("UpdateExpression", ""))
    sets, removes = _clauses(expression)
    resolve = lambda words: frozenset(names.get(w, w) for w in words)  # noqa: E731
    return Write(str(key["id"]["S"]), resolve(sets), resolve(removes))


def _clauses(expression: str) -> tuple[list[str], list[str]]:
    sets: list[str] = []
    removes: list[str] = []
    for verb, body in re.findall(r"\b(SET|REMOVE)\b(.*?)(?=\bSET\b|\bREMOVE\b|$)", expression):
        for part in body.split(","):
            name = part.split("=")[0].strip()
            if name and not name.startswith(":"):
                (sets if verb == "SET" else removes).append(name)
    return sets, removes


def write_request_units(
    writes: Iterable[Write], index_keys: frozenset[str], index_projected: frozenset[str]
) -> Counter[str]:
    """Write units of a sequence of small (< 1 KB) item writes: one each on the table,
    plus the sparse index's: putting an item in or taking it out is one index write, a
    change of its index key two (a delete and a put), a change of a projected attribute
    while it stays in one. Items start outside the index."""
    units: Counter[str] = Counter()
    in_index: dict[str, bool] = {}
    for write in writes:
        units["table"] += 1
        was = in_index.get(write.key, False)
        kept = was and not write.replaces
        now = (kept or bool(write.sets & index_keys)) and not (write.removes & index_keys)
        touched = (write.sets | write.removes) & index_projected
        if was and now and write.sets & index_keys:
            units["index"] += 2
        elif was != now or (was and now and touched):
            units["index"] += 1
        in_index[write.key] = now
    return units
