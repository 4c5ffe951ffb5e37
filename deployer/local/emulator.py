"""Start, reuse, inspect and stop the local emulator: one background process per project.

The emulator runs detached (its own session, so it outlives the command that started it and
takes its Lambda workers with it when stopped) and keeps its record (pid, port), holdings and
log under the state dir (see :mod:`deployer.local.records`). The rules it keeps: one owner per
emulator (every start, adoption and stop holds the project's lock, so commands started
together share one emulator); every path ends in an endpoint or an ``EmulatorError`` with a
clear message within a bounded time, never a hang; an emulator that died is reported, with
the items lost, never silently replaced; this project's emulator found on the port without
its record is adopted, a port held by anything else is refused; start-up has a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from deployer.errors import EmulatorError
from deployer.local.records import (
    EmulatorRecord,
    endpoint_for,
    loss_notice,
    owner_lock,
    read_holdings,
    read_record,
    remove_record,
    write_record,
)

HEALTH_PATH = "/_disa/health"  # answered by the server, see server.with_health
SERVICE_NAME = "disa-local-emulator"
LOG_FILE = "emulator.log"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
PROBE_TIMEOUT_SECONDS = 1.0
# How long a command waits for another one of the same project to finish starting or
# stopping the emulator: a start-up takes at most READY_TIMEOUT_SECONDS.
LOCK_TIMEOUT_SECONDS = READY_TIMEOUT_SECONDS + 30.0

__all__ = ["EmulatorRecord", "emulator_status", "ensure_emulator", "stop_emulator"]


def ensure_emulator(
    state_dir: Path,
    port: int,
    log: Callable[[str], None],
    *,
    ready_timeout: float = READY_TIMEOUT_SECONDS,
) -> str:
    """Endpoint of this project's emulator, reusing a healthy one or starting a new one."""
    state_dir = state_dir.resolve()
    with owner_lock(state_dir, LOCK_TIMEOUT_SECONDS):
        record = read_record(state_dir)
        if record is not None:
            if is_alive(record.pid) and _is_ours(record, state_dir):
                return _reuse(state_dir, record, port, log, ready_timeout)
            log(loss_notice(record, read_holdings(state_dir)))
            remove_record(state_dir)
        adopted = _adopt(state_dir, port)
        if adopted is not None:
            log(f"Found this project's local emulator at {adopted.endpoint} (pid {adopted.pid}) "
                "without its record; recorded it again and using it.")  # fmt: skip
            return adopted.endpoint
        _check_port_free(port)
        return _start(state_dir, port, log, ready_timeout)


def stop_emulator(state_dir: Path) -> bool:
    """Stop this project's emulator; True if one was running."""
    state_dir = state_dir.resolve()
    with owner_lock(state_dir, LOCK_TIMEOUT_SECONDS):
        record = read_record(state_dir) or _record_from_holdings(state_dir)
        if record is None:
            return False
        running = is_alive(record.pid) and _is_ours(record, state_dir)
        if running:
            _terminate(record.pid)
        remove_record(state_dir)
        return running


def emulator_status(state_dir: Path, log: Callable[[str], None] | None = None) -> str | None:
    """Endpoint of this project's emulator if it is running and answering, else None.

    When the emulator died since the last ``up`` (its record outlived it), ``log`` hears so,
    with how many items were lost; the record stays until ``up`` or ``destroy`` clears it.
    """
    record = read_record(state_dir)
    if record is None:
        return None
    if not is_alive(record.pid):
        if log is not None:
            log(loss_notice(record, read_holdings(state_dir.resolve())))
        return None
    health = probe(record.port)
    return record.endpoint if health and health.get("pid") == record.pid else None


def _adopt(state_dir: Path, port: int) -> EmulatorRecord | None:
    """This project's emulator answering on ``port`` though its record is gone, recorded."""
    health = probe(port)
    if not health or health.get("state_dir") != str(state_dir):
        return None
    pid = health.get("pid")
    if not isinstance(pid, int) or not is_alive(pid):
        return None
    record = EmulatorRecord(pid, port)
    write_record(state_dir, record)
    return record


def _record_from_holdings(state_dir: Path) -> EmulatorRecord | None:
    """The emulator's own account of its pid, when the launcher's record is gone."""
    holdings = read_holdings(state_dir)
    return EmulatorRecord(holdings.pid, 0) if holdings is not None else None


def _reuse(
    state_dir: Path,
    record: EmulatorRecord,
    port: int,
    log: Callable[[str], None],
    ready_timeout: float,
) -> str:
    if not _wait_ready(record, ready_timeout, process=None):
        raise EmulatorError(
            f"The local emulator (pid {record.pid}) is not answering on port {record.port}.",
            hint=f"See {state_dir / LOG_FILE}; stop it with `disa-deploy destroy --env local`.",
        )
    if record.port != port:
        log(f"The local emulator already runs on port {record.port}; using it (not {port}).")
    log(f"Reusing the local emulator at {record.endpoint} (pid {record.pid}).")
    return record.endpoint


def _start(state_dir: Path, port: int, log: Callable[[str], None], ready_timeout: float) -> str:
    log_path = state_dir / LOG_FILE
    log(f"Starting the local emulator on {endpoint_for(port)} (log: {log_path}).")
    command = [
        sys.executable,
        "-m",
        "deployer.local.server",
        "--port",
        str(port),
        "--state-dir",
        str(state_dir),
    ]
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=state_dir,
            env=_server_env(),
        )
    record = EmulatorRecord(process.pid, port, time.time())
    write_record(state_dir, record)
    if _wait_ready(record, ready_timeout, process=process):
        return record.endpoint
    exited = process.poll()
    if exited is None:
        _terminate(process.pid)
    remove_record(state_dir)
    why = (
        f"exited with status {exited}"
        if exited is not None
        else (f"did not answer within {ready_timeout:.0f} s")
    )
    raise EmulatorError(
        f"The local emulator {why} while starting: {_last_line(log_path)}",
        hint=f"See {log_path}.",
    )


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    # The emulator never needs real credentials; keep the developer's out of its process.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _wait_ready(
    record: EmulatorRecord, timeout: float, process: subprocess.Popen[bytes] | None
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        if process is None and not is_alive(record.pid):
            return False
        health = probe(record.port)
        if health and health.get("pid") == record.pid:
            return True
        time.sleep(0.1)
    return False


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server binds: connections of a stopped emulator in TIME_WAIT do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return
        except OSError:
            pass
    health = probe(port)
    owner = (
        f"another disa-deploy emulator (pid {health.get('pid')}, state in "
        f"{health.get('state_dir', 'another project folder')})"
        if health
        else "another program"
    )
    raise EmulatorError(
        f"Port {port} on 127.0.0.1 is in use by {owner}.",
        hint=f"run `disa-deploy destroy` in that project, or pick another port: "
        f"DISA_LOCAL_PORT={port + 1} disa-deploy up",
    )


def probe(port: int) -> dict[str, object] | None:
    """The emulator's health answer on ``port``, or None when nothing of ours answers."""
    url = endpoint_for(port) + HEALTH_PATH
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    if isinstance(answer, dict) and answer.get("service") == SERVICE_NAME:
        return answer
    return None


def is_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError, OSError):
        # Reap it first if it is our own exited child, or a zombie would look alive.
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_ours(record: EmulatorRecord, state_dir: Path) -> bool:
    """The pid is this project's emulator (not a process that reused the number)."""
    health = probe(record.port) if record.port else None
    if health is not None and health.get("pid") == record.pid:
        return True
    try:  # not answering (busy, hung?): trust the command line, where the OS shows it
        cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"deployer.local.server" in cmdline and str(state_dir).encode() in cmdline


def _terminate(pid: int) -> None:
    """SIGTERM the emulator's process group (it and its Lambda runs), SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    while is_alive(pid) and time.monotonic() < deadline + STOP_TIMEOUT_SECONDS:
        time.sleep(0.05)


def _last_line(log_path: Path) -> str:
    try:
        lines = [line for line in log_path.read_text(errors="replace").splitlines() if line]
    except OSError:
        return "(no log)"
    return lines[-1] if lines else "(empty log)"
