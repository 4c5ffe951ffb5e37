"""The README's table of what each operate command costs is what the benchmark measures."""

from __future__ import annotations

import re
import sys

from support.cfn_yaml import ROOT

sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
import bench_operate  # noqa: E402

README = (ROOT / "README.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| `([^`]+)`[^|]* \| (\d+): (.*) \|$", re.M)


def test_every_figure_of_the_cost_table_is_measured() -> None:
    section = README.split("## Operating DISA")[1].split("\n## ")[0]
    documented = {label: (int(calls), rest) for label, calls, rest in ROW.findall(section)}
    measured = {label: (calls, read) for label, calls, read in bench_operate.measure_all()}

    assert documented and set(documented) <= set(measured)
    for label, (calls, rest) in documented.items():
        counted, read = measured[label]
        assert sum(counted.values()) == calls, (label, counted)
        stated = re.search(r"\(([\d,]+) items read\)", rest)
        if stated:
            assert int(stated.group(1).replace(",", "")) == read, label
