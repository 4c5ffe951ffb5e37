"""Benchmark ``disa-deploy validate`` and the gate on the real tree.

    python tests/benchmarks/bench_validate.py

Rows: ``validate`` as a user runs it, a fresh ``disa-deploy validate --env local`` process
(interpreter start, cfn-lint's import and rule loading, lint of every template with the ASL
inlined, the handlers' compile and import check), median of three runs, with its CPU time;
and what the gate in front of ``package``/``plan``/``up`` costs when the tree has not
changed since it last passed (a look-up of file digests, timed inside a process of its own).
A changed tree pays the full ``validate`` time once. No AWS call, no emulator.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from table import Metric, print_table

ROOT = Path(__file__).resolve().parents[2]
RUNS = 3
VALIDATE_TARGET_SECONDS = 3.0
GATE_TARGET_SECONDS = 0.1


def time_validate_process() -> tuple[float, float, int]:
    """(median wall seconds, median CPU seconds incl. the import probe, exit code)."""
    script = Path(sys.executable).with_name("disa-deploy")
    walls, cpus, code = [], [], 0
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([str(script), "validate", "--env", "local"], cwd=ROOT,
                              capture_output=True, text=True, check=False)  # fmt: skip
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        code = code or done.returncode
    return statistics.median(walls), statistics.median(cpus), code


GATE_PROBE = """
import sys, time
from pathlib import Path
from deployer.config.environment import DEFAULT_CONFIG_DIR, load_env_config
from deployer.config.project import Project
from deployer.usecases.validate import check_tree, validate
project, config = Project(Path(sys.argv[1])), load_env_config(DEFAULT_CONFIG_DIR, "local")
validate(project, config)  # a clean result to reuse, as after a first package or up
started = time.perf_counter()
report = check_tree(project, config)
print(time.perf_counter() - started if report.reused else -1.0)
"""


def time_gate_unchanged() -> float:
    """In a process of its own, so that the result it leaves in memory cannot make a later
    benchmark of this run (a cold ``package``, ``up`` from nothing) look cheaper."""
    done = subprocess.run([sys.executable, "-c", GATE_PROBE, str(ROOT)], capture_output=True,
                          text=True, check=True)  # fmt: skip
    seconds = float(done.stdout.strip())
    assert seconds >= 0, "the gate did not reuse an unchanged tree's result"
    return seconds


def measure_all() -> list[Metric]:
    wall, cpu, code = time_validate_process()
    gate = time_gate_unchanged()
    return [
        Metric("validate (real tree, fresh process)",
               f"{wall:.2f} s" if code == 0 else f"exit {code}",
               f"< {VALIDATE_TARGET_SECONDS:.0f} s", code == 0 and wall < VALIDATE_TARGET_SECONDS,
               f"median of {RUNS}; {cpu:.2f} s CPU; cfn-lint rules loaded, 8 templates, "
               "3 handlers"),
        Metric("gate before package/plan/up, tree unchanged", f"{gate * 1000:.0f} ms",
               f"< {GATE_TARGET_SECONDS * 1000:.0f} ms", gate < GATE_TARGET_SECONDS,
               "digests only; a changed tree pays the validate row once"),
    ]  # fmt: skip


if __name__ == "__main__":
    rows = measure_all()
    print_table(rows)
    sys.exit(0 if all(m.met is not False for m in rows) else 1)
