"""Helpers for tests that talk to a running local emulator: a free port and its clients."""

from __future__ import annotations

import socket
from typing import Any

import boto3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def emulator_client(endpoint: str, service: str) -> Any:
    """A boto3 client for ``service`` on the emulator (local mode's account and region)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
