"""The one place the handlers create boto3 clients: lazily, once per container.

A client costs tens of milliseconds to build, so it is made on first use and kept for the
container's life. Nothing is bound at import time, so tests (moto) and the local emulator
(AWS_ENDPOINT_URL, which boto3 honours natively) can point clients elsewhere; ``reset()``
drops the cache between tests. Hooks registered on ``session().events`` before a client is
created reach that client, which is how tests count the AWS calls a handler makes.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from disa_common.settings import MAX_CONCURRENCY

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

_lock = threading.Lock()
_session: boto3.session.Session | None = None
_clients: dict[str, Any] = {}


def session() -> boto3.session.Session:
    """The container's boto3 session (created on first use)."""
    global _session
    with _lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session


def get(service: str) -> Any:
    """The container's client for ``service`` ("dynamodb", "sns", "stepfunctions", ...)."""
    client = _clients.get(service)
    if client is not None:
        return client
    boto_session = session()
    with _lock:
        # Creating clients is not thread-safe in boto3; build each one once, under the lock.
        client = _clients.get(service)
        if client is None:
            client = boto_session.client(service, config=CLIENT_CONFIG)
            _clients[service] = client
        return client


def reset(new_session: boto3.session.Session | None = None) -> None:
    """Forget every client and the session; use ``new_session`` from now on if given.

    For tests: a fresh session per test keeps event hooks from leaking between tests,
    and one that shares a botocore loader avoids re-reading service models each time.
    """
    global _session
    with _lock:
        _session = new_session
        _clients.clear()
