"""Pure parts of local mode: the state dir's record, lock and loss notice; Lambda's log lines."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from deployer.errors import EmulatorError
from deployer.local import lambda_logs
from deployer.local.records import (
    EmulatorRecord,
    Holdings,
    loss_notice,
    owner_lock,
    read_holdings,
    read_record,
    remove_record,
    write_record,
)
from deployer.local.workers import Invocation

RECORD = EmulatorRecord(pid=4711, port=4599, started_at=1_700_000_000.0)


def test_the_notice_counts_the_items_lost_per_table() -> None:
    tables = {"us-east-1/disa-local-messages": 37, "us-east-1/empty": 0, "us-east-1/other": 1}
    holdings = Holdings(4711, 1_700_000_100.0, tables)

    notice = loss_notice(RECORD, holdings)

    assert notice.startswith("The local emulator (pid 4711, port 4599, started ")
    assert "stopped without `disa-deploy destroy`" in notice
    assert "Local state lives only in the emulator's memory" in notice
    assert "with 38 items (disa-local-messages: 37, other: 1) as counted at " in notice


@pytest.mark.parametrize(
    ("case", "holdings"),
    [("no holdings recorded", None), ("holdings of another emulator", Holdings(1, 0.0, {"t": 5}))],
)
def test_the_notice_says_when_it_cannot_count(case: str, holdings: Holdings | None) -> None:
    notice = loss_notice(RECORD, holdings)

    assert "everything deployed on it is lost (no count of its items was recorded)" in notice


def test_one_item_is_not_items() -> None:
    assert "with 1 item (t: 1) as" in loss_notice(RECORD, Holdings(4711, 0.0, {"r/t": 1}))


def test_record_and_holdings_round_trip_and_are_removed_together(tmp_path: Path) -> None:
    write_record(tmp_path, RECORD)
    (tmp_path / "holdings.json").write_text(
        json.dumps({"pid": 4711, "recorded_at": 5.0, "tables": {"r/t": 2}})
    )

    assert read_record(tmp_path) == RECORD
    assert read_holdings(tmp_path) == Holdings(4711, 5.0, {"r/t": 2})
    remove_record(tmp_path)
    assert read_record(tmp_path) is None and read_holdings(tmp_path) is None


@pytest.mark.parametrize("text", ["", "{", '{"pid": "x"}', "[]", '{"pid": 1}'])
def test_unreadable_holdings_are_none(tmp_path: Path, text: str) -> None:
    (tmp_path / "holdings.json").write_text(text)

    assert read_holdings(tmp_path) is None


def test_a_second_owner_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    with owner_lock(tmp_path, timeout=5), pytest.raises(EmulatorError) as caught:  # noqa: SIM117
        with owner_lock(tmp_path, timeout=0.2):
            pass

    assert "another disa-deploy command of this project" in caught.value.message
    with owner_lock(tmp_path, timeout=0.2):  # free again once the first let go
        pass


def invocation(**fields: object) -> Invocation:
    values: dict[str, object] = {
        "request_id": "rid-1",
        "outcome": {"ok": True, "payload": 1, "max_rss_kb": 51200},
        "output": [(1000, "hello"), (1001, "")],
        "duration_ms": 12.345,
        "stream": "2024/01/02/[$LATEST]" + "a" * 32,
    }
    values.update(fields)
    return Invocation(**values)  # type: ignore[arg-type]


def test_an_invocation_is_logged_start_output_end_report() -> None:
    events = lambda_logs.invocation_events(invocation(), memory_mb=256)

    messages = [event["message"] for event in events]
    assert messages == [
        "START RequestId: rid-1 Version: $LATEST",
        "hello",
        " ",
        "END RequestId: rid-1",
        "REPORT RequestId: rid-1\tDuration: 12.35 ms\tBilled Duration: 13 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 50 MB",
    ]
    stamps = [event["timestamp"] for event in events]
    assert stamps == sorted(stamps)


def test_a_first_invocation_logs_init_output_and_duration() -> None:
    first = invocation(init_ms=250.0, init_output=[(900, "importing")])

    messages = [event["message"] for event in lambda_logs.invocation_events(first, 128)]

    assert messages[0] == "importing"
    assert messages[-1].endswith("\tInit Duration: 250.00 ms")


def test_a_timeout_is_logged_as_lambda_logs_it() -> None:
    error = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 3.00 seconds"}
    timed_out = invocation(outcome={"ok": False, "error": error}, timed_out=True)

    messages = [event["message"] for event in lambda_logs.invocation_events(timed_out, 128)]

    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z rid-1 Task timed out after 3\.00 seconds"
    assert re.fullmatch(pattern, messages[-3])


def test_stream_names_are_lambdas() -> None:
    name = lambda_logs.stream_name(now=1_704_164_645.0)

    assert re.fullmatch(r"2024/01/02/\[\$LATEST\][0-9a-f]{32}", name)


def test_a_second_owner_waits_for_the_first_to_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import ExitStack

    from deployer.local import records

    first = ExitStack()
    first.enter_context(owner_lock(tmp_path, timeout=5))
    waits: list[float] = []

    def first_lets_go_while_the_second_waits(seconds: float) -> None:
        waits.append(seconds)
        first.close()

    monkeypatch.setattr(records.time, "sleep", first_lets_go_while_the_second_waits)

    with owner_lock(tmp_path, timeout=60):
        pass

    assert waits == [records.LOCK_POLL_SECONDS]


class FakeWorker:
    def __init__(self) -> None:
        self.init_error = None
        self.killed = False
        self.idle_since = 0.0

    def alive(self) -> bool:
        return not self.killed

    def kill(self) -> None:
        self.killed = True


def pool(size: int = 2) -> tuple[Any, list[FakeWorker]]:
    from deployer.local.workers import FunctionSpec, Pool

    spawned: list[FakeWorker] = []

    def spawn() -> FakeWorker:
        spawned.append(FakeWorker())
        return spawned[-1]

    spec = FunctionSpec("arn", Path("."), "app.handler", 3.0, (), size)
    return Pool(spec, spawn), spawned


def test_a_pool_reuses_idle_workers_and_replaces_dead_ones() -> None:
    workers, spawned = pool()

    first = workers.acquire()
    workers.release(first)
    again = workers.acquire()
    workers.release(again)
    again.kill()  # it died while idle
    replaced = workers.acquire()

    assert again is first and replaced is not first
    assert len(spawned) == 2 and workers.size == 1


def test_a_full_pool_makes_the_next_invocation_wait_for_a_worker() -> None:
    import threading

    workers, spawned = pool(size=1)
    held = workers.acquire()
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(workers.acquire()))
    waiter.start()
    workers.release(held)
    waiter.join(60)

    assert got == [held] and len(spawned) == 1


def test_idle_workers_are_reaped_and_a_retired_pool_keeps_none() -> None:
    workers, spawned = pool()
    one, two = workers.acquire(), workers.acquire()
    workers.release(one)
    one.idle_since = 0.0

    assert workers.reap(now=599.0, idle_seconds=600.0) == 0
    assert workers.reap(now=600.0, idle_seconds=600.0) == 1
    assert one.killed and workers.size == 1
    workers.retire()
    workers.release(two)
    assert two.killed and workers.size == 0
