"""The emulator's lock: a read that iterates moto's state never sees a write land mid-way.

In-process and deterministic: moto's real request handling (its WSGI app, the same one the
emulator serves) answers a boto3 client without a socket. A Scan is paused inside moto's own
iteration over the table's items; a PutItem is then sent from another thread. Without the lock
the write lands while the scan is paused and moto answers the scan with a 500 ("dictionary
changed size during iteration"); with it, the write waits until the scan is done.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from moto.core.botocore_stubber import MockRawResponse
from moto.dynamodb.models import dynamodb_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from deployer.local.serial import MotoLock, serialised

ACCOUNT, REGION = "123456789012", "us-east-1"
DEADLINE_SECONDS = 60.0


def in_process_client(app: Any, service: str) -> Any:
    """A boto3 client whose requests go to ``app`` in this process."""
    client = boto3.client(
        service,
        region_name=REGION,
        endpoint_url="http://127.0.0.1:5999",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    wsgi = Client(app)

    def send(request: Any, **_: Any) -> AWSResponse:
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        answer = wsgi.open(request.url, method=request.method, headers=headers, data=request.body)
        return AWSResponse(request.url, answer.status_code, dict(answer.headers),
                           MockRawResponse(answer.get_data()))  # fmt: skip

    client.meta.events.register("before-send", send)
    return client


class PausingItems(defaultdict):  # type: ignore[type-arg]
    """moto's item store, whose ``values()`` stops after the first item until told to go on."""

    def __init__(self, items: dict[Any, Any], pause: Callable[[], None]) -> None:
        super().__init__(dict, items)
        self.pause = pause

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        for index, value in enumerate(super().values()):
            yield value
            if index == 0:
                self.pause()


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def scan_racing_a_write(lock: MotoLock | None) -> tuple[Any, Any]:
    """(scan outcome, put outcome), each an answer or the exception raised."""
    moto_app = DomainDispatcherApplication(create_backend_app)
    app = serialised(moto_app, lock) if lock is not None else moto_app
    ddb = in_process_client(app, "dynamodb")
    name = f"race-{id(lock)}-{time.monotonic_ns()}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for key in ("a", "b", "c"):
        ddb.put_item(TableName=name, Item={"id": {"S": key}})
    paused, written = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {}

    def pause() -> None:
        paused.set()
        # Go on once the write is done, or is queued behind the lock this scan holds.
        wait_until(lambda: written.is_set() or (lock is not None and lock.waiting > 0))

    table = dynamodb_backends[ACCOUNT][REGION].get_table(name)
    table.items = PausingItems(dict(table.items), pause)

    def run(key: str, call: Callable[[], Any], done: threading.Event | None = None) -> None:
        try:
            outcomes[key] = call()
        except Exception as err:  # noqa: BLE001 - the outcome under test
            outcomes[key] = err
        if done is not None:
            done.set()

    scanner = threading.Thread(target=run, args=("scan", lambda: ddb.scan(TableName=name)))
    scanner.start()
    wait_until(paused.is_set)
    put = lambda: ddb.put_item(TableName=name, Item={"id": {"S": "new"}})  # noqa: E731
    writer = threading.Thread(target=run, args=("put", put, written))
    writer.start()
    scanner.join(DEADLINE_SECONDS)
    writer.join(DEADLINE_SECONDS)
    return outcomes["scan"], outcomes["put"]


def test_a_write_waits_for_a_scan_under_the_lock() -> None:
    scan, put = scan_racing_a_write(MotoLock())

    assert not isinstance(scan, Exception), scan
    assert sorted(item["id"]["S"] for item in scan["Items"]) == ["a", "b", "c"]
    assert not isinstance(put, Exception), put


def test_without_the_lock_moto_fails_the_scan() -> None:
    """What the lock prevents: if this stops failing, moto became thread-safe here."""
    scan, put = scan_racing_a_write(None)

    assert isinstance(scan, Exception)
    assert "500" in str(scan) or "InternalFailure" in str(scan) or "changed size" in str(scan)
    assert not isinstance(put, Exception), put


@pytest.mark.parametrize("depth", [1, 3])
def test_released_lets_another_thread_in_and_takes_the_lock_back(depth: int) -> None:
    lock, inside = MotoLock(), threading.Event()

    def other() -> None:
        with lock:
            inside.set()

    for _ in range(depth):
        lock.acquire()
    with lock.released():
        assert not lock.held
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(DEADLINE_SECONDS)
    assert inside.is_set() and lock.held
    for _ in range(depth):
        lock.release()
    assert not lock.held
