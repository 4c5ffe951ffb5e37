"""Clients: created once per container, with bounded retries and timeouts, and pointed
wherever AWS_ENDPOINT_URL says (the local emulator)."""

from __future__ import annotations

import pytest
from disa_common import clients


@pytest.fixture(autouse=True)
def fresh_container():
    clients.reset()
    yield
    clients.reset()


def test_a_client_is_created_once_and_reset_forgets_it() -> None:
    first = clients.get("sns")
    assert clients.get("sns") is first
    clients.reset()
    assert clients.get("sns") is not first


def test_clients_have_standard_retries_and_timeouts() -> None:
    config = clients.get("dynamodb").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert (config.connect_timeout, config.read_timeout) == (3, 10)


def test_clients_honour_aws_endpoint_url(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")

    assert clients.get("stepfunctions").meta.endpoint_url == "http://127.0.0.1:4566"
