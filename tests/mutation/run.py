"""Mutation testing of the handlers: python tests/mutation/run.py [guards|mutmut|all] [TEXT]

TEXT keeps only the guard mutants whose label contains it (e.g. "retry DUE"), or the
mutmut modules whose path does (e.g. "disa_retry").

Two parts, both in place in the working tree (run it on a clean tree; every file is put
back, and the run refuses to start if code/python or the ASL has uncommitted changes):

- ``guards``: the operators the rule "a guard is real only if a test fails without it"
  needs and mutmut does not have. Every condition expression a handler or the state
  machine writes (tests/mutation/conditions.py: always true, comparator flipped or moved
  across its boundary, attribute_exists <-> attribute_not_exists, NOT dropped, an IN value
  dropped, an AND/OR operand dropped), through tests/mutation/plugin.py; and every
  ``raise`` in code/python replaced by ``pass``. The state machine's mutants run against
  behaviour only: the tests that pin its expressions' exact text are deselected.
- ``mutmut``: mutmut 2 (pip install -e '.[mutation]') over each handler module with the
  tests that cover it, string mutations off (log texts are not behaviour; the
  expressions are the guards part's job); a mutant that breaks the module's import counts
  as killed (tests/mutation/killed.py). Prints killed/total per module and each survivor.

Each mutant runs ``pytest -x`` on the tests of its module; a mutant is killed when a test
fails. Run it under the shared lock: ``flock /work/.heavy.lock python tests/mutation/run.py``
(or without flock on a machine of your own).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "code" / "python"
ASL = ROOT / "state-machine" / "state-machine.json"
sys.path[:0] = [str(CODE), str(ROOT)]

from tests.mutation.conditions import mutants  # noqa: E402

FH, UH = "tests/functional/handlers", "tests/unit/handlers"
FLOW = f"{FH}/test_system_overwrites.py"
TYPES = f"{FH}/test_system_workflow_types.py"  # Express instances, leases, old inputs
TESTS = {
    "disa_init_process": [
        f"{UH}/test_handler_inputs.py",
        f"{FH}/test_init_process_handler.py",
        FLOW,
    ],
    "disa_process": [
        f"{UH}/test_handler_inputs.py",
        f"{UH}/test_circuit_breaker.py",
        f"{FH}/test_process_handler.py",
        f"{FH}/test_handler_logs.py",
        FLOW,
        TYPES,
    ],
    "disa_retry": [f"{FH}/test_retry_guards.py", f"{FH}/test_retry_handler.py", FLOW, TYPES],
    "redrive": [
        f"{FH}/test_redrive_claim.py",
        f"{UH}/test_disa_common_redrive.py",
        f"{FH}/test_retry_guards.py",
        TYPES,
    ],
    "disa_common": [UH, "tests/unit/test_model.py", FH, f"--deselect={FH}/test_fault_injection.py"],
    "asl": [
        "tests/unit/test_state_machine.py",
        "-k",
        "not follow_the_contract and not exactly_model_statuses and not is_the_models",
        FLOW,
        TYPES,
    ],
}
MUTMUT_MODULES = [
    "disa_init_process/handler.py",
    "disa_process/handler.py",
    "disa_process/circuit.py",
    "disa_retry/handler.py",
    "disa_common/kit.py",
    "disa_common/model.py",
    "disa_common/runs.py",
    "disa_common/container.py",
]


@dataclass(frozen=True)
class Case:
    site: str  # module (tests) of the mutant
    label: str
    env: dict[str, str]
    source: tuple[Path, str] | None = None  # a file to rewrite in place, and its new text


def condition_cases() -> list[Case]:
    from disa_common.model import InvalidReason
    from disa_common.redrive import AS_READ, AS_READ_UNTOKENED
    from disa_init_process.handler import invalid_condition
    from disa_process.handler import CLAIMABLE, OWNED
    from disa_retry.handler import DUE

    sites = {f"init mark-invalid ({r.value})": ("disa_init_process", invalid_condition(r))
             for r in InvalidReason}  # fmt: skip
    sites["process CLAIMABLE"] = ("disa_process", CLAIMABLE)
    sites["process OWNED"] = ("disa_process", OWNED)
    sites["retry DUE"] = ("disa_retry", DUE)
    sites["redrive AS_READ"] = ("redrive", AS_READ)
    sites["redrive AS_READ_UNTOKENED"] = ("redrive", AS_READ_UNTOKENED)
    seen, cases = set(), []
    for name, (module, original) in sites.items():
        if original in seen:  # the same string at two sites is one mutant
            continue
        seen.add(original)
        for mutant in mutants(original):
            payload = {"site": module, "original": original, "mutated": mutant.text}
            cases.append(Case(module, f"{name}: {mutant.operator}: {mutant.text}",
                              {"DISA_MUTANT": json.dumps(payload)}))  # fmt: skip
    states = json.loads(ASL.read_text(encoding="utf-8"))["States"]
    for state, body in states.items():
        original = body.get("Parameters", {}).get("ConditionExpression")
        if not original:
            continue
        for mutant in mutants(original):
            payload = {"site": "asl", "state": state, "original": original, "mutated": mutant.text}
            cases.append(Case("asl", f"ASL {state}: {mutant.operator}: {mutant.text}",
                              {"DISA_MUTANT": json.dumps(payload)}))  # fmt: skip
    return cases


def raise_cases() -> list[Case]:
    cases = []
    for path in sorted(CODE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        module = path.relative_to(CODE).parts[0]
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Raise):
                continue
            first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
            indent = re.match(r"\s*", lines[first]).group(0)  # type: ignore[union-attr]
            new = lines[:first] + [f"{indent}pass\n"] + ["\n"] * (last - first) + lines[last + 1 :]
            label = f"{path.relative_to(ROOT)}:{node.lineno}: {lines[first].strip()}"
            cases.append(Case(module, f"raise removed: {label}", {}, (path, "".join(new))))
    return cases


def run_case(case: Case) -> str:
    args = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
            "-p", "tests.mutation.plugin", *TESTS[case.site]]  # fmt: skip
    original = case.source[0].read_text(encoding="utf-8") if case.source else None
    try:
        if case.source:
            case.source[0].write_text(case.source[1], encoding="utf-8")
        done = subprocess.run(args, cwd=ROOT, env={**os.environ, **case.env},
                              capture_output=True, text=True, timeout=900)  # fmt: skip
    finally:
        if case.source and original is not None:
            case.source[0].write_text(original, encoding="utf-8")
    return {0: "survived", 1: "killed"}.get(done.returncode, f"error (exit {done.returncode})")


def guards(only: str = "") -> bool:
    cases = [case for case in condition_cases() + raise_cases() if only in case.label]
    results: Counter[tuple[str, str]] = Counter()
    started = time.monotonic()
    for number, case in enumerate(cases, 1):
        outcome = run_case(case)
        results[(case.site if not case.source else "raise:" + case.site, outcome)] += 1
        if outcome != "killed":
            print(f"  {outcome.upper()}: {case.label}", flush=True)
        print(f"[{number}/{len(cases)}] {outcome}", file=sys.stderr, flush=True)
    print(f"\nguards: {len(cases)} mutants in {time.monotonic() - started:.0f} s")
    for group in sorted({g for g, _ in results}):
        killed = results[(group, "killed")]
        total = sum(n for (g, _), n in results.items() if g == group)
        print(f"  {group:28} {killed}/{total} killed")
    return all(outcome == "killed" for (_, outcome) in results)


def mutmut(only: str = "") -> None:
    if shutil.which("mutmut") is None:
        sys.exit("mutmut is not installed: pip install -e '.[mutation]'")
    print("\nmutmut (string mutations off):")
    for relative in [module for module in MUTMUT_MODULES if only in module]:
        tests = " ".join(TESTS[relative.split("/")[0]])
        runner = f"{sys.executable} -m tests.mutation.killed -x -q -p no:cacheprovider {tests}"
        cache = ROOT / ".mutmut-cache"
        cache.unlink(missing_ok=True)
        started = time.monotonic()
        subprocess.run(
            ["mutmut", "run", "--paths-to-mutate", str(CODE / relative), "--no-progress",
             "--disable-mutation-types", "string", "--simple-output",
             "--runner", runner],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        report = subprocess.run(["mutmut", "junitxml"], cwd=ROOT, capture_output=True, text=True)
        total = report.stdout.count("<testcase ")
        survived = len(re.findall(r"<testcase [^>]*>\s*<failure", report.stdout))
        print(f"  {relative:32} {total - survived}/{total} killed"
              f" ({time.monotonic() - started:.0f} s)", flush=True)  # fmt: skip
        for mutant_id in _survivors():
            show = subprocess.run(["mutmut", "show", mutant_id], cwd=ROOT,
                                  capture_output=True, text=True).stdout  # fmt: skip
            changed = [line for line in show.splitlines() if line.startswith(("-", "+"))][2:]
            print(f"    survived #{mutant_id}: {' | '.join(changed)}")
        cache.unlink(missing_ok=True)


def _survivors() -> list[str]:
    answer = subprocess.run(["mutmut", "result-ids", "survived"], cwd=ROOT,
                            capture_output=True, text=True)  # fmt: skip
    return answer.stdout.split()


def main() -> None:
    part = sys.argv[1] if len(sys.argv) > 1 else "all"
    only = sys.argv[2] if len(sys.argv) > 2 else ""
    dirty = subprocess.run(["git", "status", "--porcelain", "code/python", str(ASL)],
                           cwd=ROOT, capture_output=True, text=True).stdout  # fmt: skip
    if dirty.strip():
        sys.exit(f"uncommitted changes in the code under test:\n{dirty}")
    ok = True
    if part in ("guards", "all"):
        ok = guards(only)
    if part in ("mutmut", "all"):
        mutmut(only)
    sys.exit(0 if ok else 2)


if __name__ == "__main__":
    main()
