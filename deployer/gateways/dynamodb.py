"""DynamoDB gateway for ``status``: item counts per status in the messages table.

One paginated Scan projecting only ``status`` (counted client-side) rather than one
``Select=COUNT`` Scan per status: both read every item, so both cost the same read units per
pass, and one pass is N times cheaper than N passes. Items with no status yet (just
inserted) are counted under ``(new)``. A scan reads the whole table, so ``status`` first
asks DescribeTable's ``ItemCount`` (free, refreshed by DynamoDB about every six hours) and
only counts when the table is small enough or the user asks.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import botocore.exceptions

from deployer.gateways.base import aws_errors, error_code

NEW = "(new)"


class MessageTable:
    def __init__(self, client: Any) -> None:
        self.client = client

    def approximate_item_count(self, table: str) -> int | None:
        """DynamoDB's periodically refreshed item count, or None if the table does not exist."""
        try:
            with aws_errors(f"describe {table}"):
                answer = self.client.describe_table(TableName=table)
        except Exception as err:
            if _table_missing(err):
                return None
            raise
        return int(answer["Table"].get("ItemCount", 0))

    def count_by_status(self, table: str) -> dict[str, int] | None:
        """Counts per status, or None if the table does not exist."""
        counts: Counter[str] = Counter()
        paginator = self.client.get_paginator("scan")
        pages = paginator.paginate(
            TableName=table, ProjectionExpression="#s", ExpressionAttributeNames={"#s": "status"}
        )
        try:
            with aws_errors(f"count items in {table}"):
                for page in pages:
                    for item in page.get("Items", []):
                        counts[item.get("status", {}).get("S", NEW)] += 1
        except Exception as err:
            if _table_missing(err):
                return None
            raise
        return dict(sorted(counts.items()))


def _table_missing(err: Exception) -> bool:
    cause = err.__cause__
    client_error = isinstance(cause, botocore.exceptions.ClientError)
    return client_error and error_code(cause) == "ResourceNotFoundException"
