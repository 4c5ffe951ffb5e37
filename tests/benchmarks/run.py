"""Every benchmark, one table: python tests/benchmarks/run.py

Runs the handler benchmark (:mod:`bench_handlers`, on in-process moto), the validate
benchmark (:mod:`bench_validate`: ``validate`` and the gate on the real tree) and the deploy
benchmark (:mod:`bench_deploy` in its ``--emulator`` mode: the real tree on deployer.local's
emulator), then times ``disa-deploy up`` from nothing and a 200-item burst end to end on the
emulator (:mod:`bench_local`), and prints one table of metric, value, target and whether it
was met. Progress goes to stderr, the table to stdout; the exit status is 1 when a target was
missed. Takes about a minute. Not collected by pytest (pyproject's ``norecursedirs``); every
emulator it starts is stopped before it returns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bench_deploy
import bench_handlers
import bench_local
import bench_validate
from table import Metric, print_table

ROOT = Path(__file__).resolve().parents[2]


def deploy_metrics(steps: list[bench_deploy.Step]) -> list[Metric]:
    metrics = []
    for step in steps:
        op, wanted = bench_deploy.TARGETS.get(step.label, ("", 0))
        shown = op or "PutObject"
        value = (f"{sum(step.calls.values())} calls, {step.calls[shown]} {shown}, "
                 f"{step.seconds:.2f} s") if step.ok else f"exit {step.exit_code}"  # fmt: skip
        target = f"{wanted} {op}" if op else "exit 0"
        metrics.append(Metric(f"{step.label} (real tree, emulator)", value, target,
                              step.target_met() is not False))  # fmt: skip
    return metrics


def main() -> int:
    print("handler benchmark (moto in process)...", file=sys.stderr)
    metrics = bench_handlers.measure_all()
    print("validate benchmark (real tree, no AWS)...", file=sys.stderr)
    metrics += bench_validate.measure_all()
    print("deploy benchmark (real tree on the emulator)...", file=sys.stderr)
    _, steps = bench_deploy.measure_steps(ROOT, emulator=True)
    metrics += deploy_metrics(steps)
    print("`up` from nothing on the emulator...", file=sys.stderr)
    first = bench_deploy.up_from_nothing(ROOT)
    value = f"{first.seconds:.1f} s" if first.ok else f"exit {first.exit_code}"
    notes = "emulator start, store, package, create; shipped local.yaml"
    metrics.append(Metric("up from nothing (emulator)", value, "exit 0", first.ok, notes))
    print("a 200-item burst on the emulator...", file=sys.stderr)
    burst = bench_local.measure(200)
    load = ", ".join(f"{x:.1f}" for x in burst["load"])
    metrics.append(Metric("local burst (200)", bench_local.describe(burst),
                          f">= {bench_local.TARGET_PER_SECOND:.0f} msg/s",
                          burst["rate"] >= bench_local.TARGET_PER_SECOND,
                          f"load average {load}"))  # fmt: skip
    print_table(metrics)
    return 0 if all(m.met is not False for m in metrics) else 1


if __name__ == "__main__":
    sys.exit(main())
