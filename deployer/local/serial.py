"""One lock around moto's in-memory state: moto's backends are not thread-safe.

moto keeps every service's state in plain dicts and lists and iterates them while serving a
request (a Scan walks the table's items; a PutItem inserts into the same dict). The emulator
serves each request on its own thread, so without a lock a read racing a write can fail with
``RuntimeError: dictionary changed size during iteration`` (an HTTP 500). The rule this
module keeps: every request, and every background thread of the patches that reads or writes
moto's state, holds :data:`MOTO_LOCK`; whoever waits on something that calls back into the
emulator (a Lambda invocation above all) lets go of it for the wait, with
:meth:`MotoLock.released`, or the callback would wait forever.

The lock is reentrant per thread: a request that reaches another backend directly (SNS
delivering to SQS, CloudFormation creating resources) takes it again without blocking.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class MotoLock:
    """A reentrant lock that its holder can set down for a while and pick up again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = threading.local()
        self._waiting = 0  # threads blocked in acquire, for tests that need to see it
        self._count = threading.Lock()

    def _depth(self) -> int:
        return int(getattr(self._state, "depth", 0))

    def _take(self) -> None:
        with self._count:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._count:
                self._waiting -= 1

    def acquire(self) -> None:
        depth = self._depth()
        if depth == 0:
            self._take()
        self._state.depth = depth + 1

    def release(self) -> None:
        depth = self._depth()
        if depth <= 0:
            raise RuntimeError("release of a MotoLock this thread does not hold")
        self._state.depth = depth - 1
        if depth == 1:
            self._lock.release()

    def __enter__(self) -> MotoLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @property
    def held(self) -> bool:
        """True if the calling thread holds the lock."""
        return self._depth() > 0

    @property
    def waiting(self) -> int:
        with self._count:
            return self._waiting

    @contextmanager
    def released(self) -> Iterator[None]:
        """Let go entirely while the block runs (a no-op for a thread that does not hold it)."""
        depth = self._depth()
        if depth:
            self._state.depth = 0
            self._lock.release()
        try:
            yield
        finally:
            if depth:
                self._take()
                self._state.depth = depth


MOTO_LOCK = MotoLock()


def serialised(app: WsgiApp, lock: MotoLock = MOTO_LOCK) -> WsgiApp:
    """The WSGI app, run with ``lock`` held (the body is read into memory before release)."""

    def locked_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            return list(app(environ, start_response))

    return locked_app
