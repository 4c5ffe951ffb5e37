"""What one Lambda container keeps between invocations: its boto3 session, its clients,
its clocks and a few cached values (the circuit breaker's alarm state).

A client costs tens of milliseconds to build, so each is made on first use and kept for
the container's life. Nothing is bound at import time, so the local emulator
(AWS_ENDPOINT_URL, which boto3 honours natively) points clients elsewhere. The rule this
module keeps: a handler reaches AWS, time and randomness only through a Container, and
tests build their own (a moto session with hooks, a fake clock, a fake client) instead of
resetting anything global.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from disa_common.settings import MAX_CONCURRENCY

T = TypeVar("T")

# Standard retry mode: exponential backoff with jitter on throttling and transient errors,
# a few attempts only, because Step Functions, the stream and the schedule retry again on
# top. Short timeouts keep one slow call from eating a Lambda's whole deadline.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 4},
    connect_timeout=3,
    read_timeout=10,
    max_pool_connections=MAX_CONCURRENCY,
    tcp_keepalive=True,
)


class Container:
    """Lazily built clients over one session, plus the clocks and cache a handler uses.

    ``clock`` is wall time (epoch seconds: retry times, ``updated_at``), ``monotonic``
    measures intervals (the alarm cache), ``rand`` draws retry jitter. ``overrides`` puts
    a given object in place of a service's client (tests: a client that fails on cue).
    """

    def __init__(
        self,
        session: boto3.session.Session | None = None,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self._session = session
        self.clock, self.monotonic, self.rand = clock, monotonic, rand
        self._clients: dict[str, Any] = dict(overrides or {})
        self._kept: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> boto3.session.Session:
        with self._lock:
            if self._session is None:
                self._session = boto3.session.Session()
            return self._session

    def client(self, service: str) -> Any:
        """The container's client for ``service`` ("dynamodb", "sns", "stepfunctions", ...)."""
        client = self._clients.get(service)
        if client is not None:
            return client
        session = self.session
        with self._lock:
            # Creating clients is not thread-safe in boto3; build each one once, under the lock.
            client = self._clients.get(service)
            if client is None:
                client = session.client(service, config=CLIENT_CONFIG)
                self._clients[service] = client
            return client

    def keep(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value kept under ``key``, built on first use (per-container caches)."""
        with self._lock:
            if key not in self._kept:
                self._kept[key] = build()
            value: T = self._kept[key]
            return value
