"""One row of a benchmark table, and the printer every benchmark script shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    value: str
    target: str = "-"
    met: bool | None = None  # None: reported, no target to meet
    notes: str = ""

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "NO", None: "-"}[self.met]


def print_table(metrics: Sequence[Metric]) -> None:
    header = ("metric", "value", "target", "met?", "notes")
    rows = [header, *((m.name, m.value, m.target, m.verdict, m.notes) for m in metrics)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    rows.insert(1, tuple("-" * w for w in widths) + ("-----",))
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].ljust(widths[2]),
                 row[3].ljust(widths[3]), row[4]]  # fmt: skip
        print("  ".join(cells).rstrip())
