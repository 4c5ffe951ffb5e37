"""What the state dir says about a project's emulator: its record, its lock, its holdings.

Three files under the state dir (``.disa/local/``): ``emulator.json``, the launcher's record
of the running emulator (pid, port, start time); ``holdings.json``, which the emulator itself
rewrites while it runs (how many items each table holds, see ``patches/holdings.py``); and
``emulator.lock``, locked (``flock``) by every command while it starts, adopts or stops the
emulator or changes the record. The rules it keeps: one owner at a time changes the record, so
two commands started together never start two emulators or lose the record; and when the
emulator died without ``destroy`` its holdings outlive it, so the next command can say how many
items were lost (local state lives in the emulator's memory).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from deployer.errors import EmulatorError

RECORD_FILE = "emulator.json"
HOLDINGS_FILE = "holdings.json"
LOCK_FILE = "emulator.lock"
LOCK_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class EmulatorRecord:
    pid: int
    port: int
    started_at: float = 0.0

    @property
    def endpoint(self) -> str:
        return endpoint_for(self.port)


@dataclass(frozen=True)
class Holdings:
    pid: int
    recorded_at: float
    tables: dict[str, int] = field(default_factory=dict)  # "<region>/<table>" -> items

    @property
    def items(self) -> int:
        return sum(self.tables.values())


def endpoint_for(port: int) -> str:
    return f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def owner_lock(state_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the project's emulator lock; EmulatorError if another command keeps it too long."""
    state_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(state_dir / LOCK_FILE, "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise EmulatorError(
                        f"another disa-deploy command of this project has been starting or "
                        f"stopping the local emulator for over {timeout:.0f} s",
                        hint=f"wait for it, or see {state_dir / 'emulator.log'}",
                    ) from None
                time.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_record(state_dir: Path) -> EmulatorRecord | None:
    try:
        data = json.loads((state_dir / RECORD_FILE).read_text(encoding="utf-8"))
        return EmulatorRecord(int(data["pid"]), int(data["port"]), float(data.get("started_at", 0)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_record(state_dir: Path, record: EmulatorRecord) -> None:
    data = {"pid": record.pid, "port": record.port, "started_at": record.started_at or time.time()}
    staging = state_dir / f".{RECORD_FILE}.tmp"
    staging.write_text(json.dumps(data), encoding="utf-8")
    staging.replace(state_dir / RECORD_FILE)


def remove_record(state_dir: Path) -> None:
    """Forget the emulator: its record and its holdings."""
    for name in (RECORD_FILE, HOLDINGS_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()


def read_holdings(state_dir: Path) -> Holdings | None:
    try:
        data = json.loads((state_dir / HOLDINGS_FILE).read_text(encoding="utf-8"))
        tables = {str(k): int(v) for k, v in dict(data.get("tables") or {}).items()}
        return Holdings(int(data["pid"]), float(data["recorded_at"]), tables)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def loss_notice(record: EmulatorRecord, holdings: Holdings | None) -> str:
    """What the next command says about an emulator that died without ``destroy``."""
    started = _clock(record.started_at) if record.started_at else "earlier"
    head = (
        f"The local emulator (pid {record.pid}, port {record.port}, started {started}) is gone: "
        "it stopped without `disa-deploy destroy` (killed, crashed, or the machine restarted). "
        "Local state lives only in the emulator's memory, so "
    )
    if holdings is None or holdings.pid != record.pid:
        return head + "everything deployed on it is lost (no count of its items was recorded)."
    held = [f"{name.split('/', 1)[-1]}: {n}" for name, n in sorted(holdings.tables.items()) if n]
    detail = f" ({', '.join(held)})" if held else ""
    return (
        head + f"everything deployed on it is lost, with {holdings.items} "
        f"item{'s' if holdings.items != 1 else ''}{detail} as counted at "
        f"{_clock(holdings.recorded_at)}."
    )


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")
