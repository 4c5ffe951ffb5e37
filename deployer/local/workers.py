"""Warm Lambda workers: long-lived execution environments, a pool per function.

A :class:`Worker` is one ``python -I lambda_bootstrap.py`` process that imported its
function's handler once and serves invocation after invocation, as Lambda reuses an execution
environment. A :class:`Pool` holds up to ``size`` workers of one function configuration (its
reserved concurrency, or a small default): an invocation takes an idle worker, starts a new one
while the pool is below its size, or waits for one to come free. The rules it keeps, as
Lambda's: a worker that overruns the function's timeout is killed and the invocation ends in
``Sandbox.Timedout``; a worker that dies (a crash, ``os._exit``) ends its invocation in
``Runtime.ExitError`` and is replaced by the next invocation; any change of the function's code
or configuration retires the pool, so the next invocation meets fresh workers.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

BOOTSTRAP = Path(__file__).resolve().parent / "lambda_bootstrap.py"
END_MARKER = "\x1edisa-local-end "  # as lambda_bootstrap.END_MARKER (it imports nothing of ours)
# Seconds allowed beyond the function's Timeout for an environment's init (import).
INIT_GRACE_SECONDS = 10.0
# Seconds to wait for an invocation's output to be closed after its result arrived.
OUTPUT_GRACE_SECONDS = 5.0
# An idle worker is stopped after this long, as Lambda reclaims idle environments.
IDLE_SECONDS = 600.0


@dataclass(frozen=True)
class FunctionSpec:
    """Everything that shapes an execution environment: a change means fresh workers."""

    arn: str
    code_dir: Path
    handler: str
    timeout: float
    environment: tuple[tuple[str, str], ...]
    pool_size: int


@dataclass
class Invocation:
    request_id: str
    outcome: dict[str, Any]  # the bootstrap's answer: {"ok": ..., "payload"/"error": ...}
    output: list[tuple[int, str]]  # (epoch ms, line) the handler printed
    duration_ms: float
    stream: str  # the worker's log stream
    init_ms: float | None = None  # set on a worker's first invocation
    init_output: list[tuple[int, str]] = field(default_factory=list)
    timed_out: bool = False


def now_ms() -> int:
    return int(time.time() * 1000)


def failure(error_type: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"errorType": error_type, "errorMessage": message}}


class Worker:
    """One execution environment: a bootstrap process, its output and its answers."""

    def __init__(self, spec: FunctionSpec, environment: dict[str, str], stream: str) -> None:
        self.spec, self.stream = spec, stream
        self._output: list[tuple[int, str]] = []
        self._closed: set[str] = set()
        self._changed = threading.Condition()
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        read_fd, write_fd = os.pipe()
        command = [sys.executable, "-I", str(BOOTSTRAP), str(spec.code_dir), spec.handler]
        self.process = subprocess.Popen(
            [*command, str(write_fd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
            env=environment,
            cwd=spec.code_dir,
        )
        os.close(write_fd)
        self._threads = [
            threading.Thread(target=self._read_output, daemon=True, name=f"out-{stream}"),
            threading.Thread(target=self._read_answers, args=(read_fd,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self.init_ms: float | None = None
        self.init_error: dict[str, Any] | None = None
        self.init_output: list[tuple[int, str]] = []
        self.fresh = True
        self.idle_since = time.monotonic()

    def start(self) -> bool:
        """Wait for the init phase; False (with ``init_error`` set) if it failed."""
        answer = self._answer(self.spec.timeout + INIT_GRACE_SECONDS)
        self.init_output = self._output_of("init", wait=answer is not None)
        if answer is not None and answer.get("ready"):
            self.init_ms = float(answer.get("init_ms", 0.0))
            return True
        error = (answer or {}).get("error") or failure(
            "Runtime.ExitError", f"Runtime exited before init completed: {self._exit_text()}"
        )["error"]
        self.init_error = dict(error)
        self.kill()
        return False

    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, event: str) -> Invocation:
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        deadline_ms = now_ms() + int(self.spec.timeout * 1000)
        init_output = self.init_output if self.fresh else []
        request = {"id": request_id, "deadline_ms": deadline_ms, "event": event}
        answer = self._send(request)
        duration = (time.monotonic() - started) * 1000
        timed_out = answer == "timeout"
        if timed_out:
            self.kill()
            outcome = failure(
                "Sandbox.Timedout", f"Task timed out after {self.spec.timeout:.2f} seconds"
            )
        elif answer is None:
            outcome = failure(
                "Runtime.ExitError", f"Runtime exited with error: {self._exit_text()}"
            )
        else:
            outcome = dict(answer)  # type: ignore[arg-type]
        output = self._output_of(request_id, wait=isinstance(answer, dict))
        init_ms = self.init_ms if self.fresh else None
        self.fresh = False
        return Invocation(
            request_id, outcome, output, duration, self.stream, init_ms, init_output, timed_out
        )

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def _send(self, request: dict[str, Any]) -> dict[str, Any] | str | None:
        stdin: IO[bytes] | None = self.process.stdin
        try:
            assert stdin is not None
            stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            stdin.flush()
        except (BrokenPipeError, OSError, AssertionError):
            return None
        try:
            return self._answers.get(timeout=self.spec.timeout)
        except queue.Empty:
            return "timeout"

    def _answer(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self._answers.get(timeout=timeout)
        except queue.Empty:
            return None

    def _output_of(self, request_id: str, wait: bool) -> list[tuple[int, str]]:
        """The lines printed up to this invocation's end marker (all so far if it died)."""
        deadline = time.monotonic() + OUTPUT_GRACE_SECONDS
        with self._changed:
            while wait and request_id not in self._closed and self.alive():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            self._closed.discard(request_id)
            lines = [line for line in self._output if line[1] != END_MARKER + request_id]
            self._output = []
            return lines

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            with self._changed:
                if text.startswith(END_MARKER):
                    self._closed.add(text[len(END_MARKER) :])
                else:
                    self._output.append((now_ms(), text))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _read_answers(self, read_fd: int) -> None:
        with open(read_fd, encoding="utf-8") as answers:
            for line in answers:
                try:
                    self._answers.put(json.loads(line))
                except ValueError:
                    break
        self._answers.put(None)

    def _exit_text(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)
        code = self.process.returncode
        if code is None:
            return "no answer"
        return f"signal: {-code}" if code < 0 else f"exit status {code}"


class Pool:
    """Up to ``spec.pool_size`` warm workers of one function configuration."""

    def __init__(self, spec: FunctionSpec, spawn: Any) -> None:
        self.spec = spec
        self._spawn = spawn  # () -> Worker, started or with init_error set
        self._idle: list[Worker] = []
        self._count = 0
        self._retired = False
        self._lock = threading.Condition()

    def acquire(self) -> Worker:
        with self._lock:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    self._count -= 1
                if self._count < self.spec.pool_size:
                    self._count += 1
                    break
                self._lock.wait()
        try:
            spawned: Worker = self._spawn()
        except BaseException:
            self._forget()
            raise
        return spawned

    def release(self, worker: Worker) -> None:
        """Back to the idle list if it is still healthy, else gone (the next call replaces it)."""
        with self._lock:
            if worker.alive() and worker.init_error is None and not self._retired:
                worker.idle_since = time.monotonic()
                self._idle.append(worker)
                self._lock.notify()
                return
        worker.kill()
        self._forget()

    def retire(self) -> None:
        with self._lock:
            self._retired, idle, self._idle = True, self._idle, []
        for worker in idle:
            worker.kill()

    def reap(self, now: float, idle_seconds: float = IDLE_SECONDS) -> int:
        """Stop the workers idle for ``idle_seconds``; how many were stopped."""
        with self._lock:
            stale = [w for w in self._idle if now - w.idle_since >= idle_seconds]
            self._idle = [w for w in self._idle if w not in stale]
        for worker in stale:
            worker.kill()
            self._forget()
        return len(stale)

    def _forget(self) -> None:
        with self._lock:
            self._count -= 1
            self._lock.notify()

    @property
    def size(self) -> int:
        with self._lock:
            return self._count
