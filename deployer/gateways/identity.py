"""STS gateway: who is calling. Used before any write to guard against the wrong account."""

from __future__ import annotations

from typing import Any

from deployer.gateways.base import aws_call


class Identity:
    def __init__(self, client: Any) -> None:
        self.client = client

    def account_id(self) -> str:
        reply = aws_call(self.client, "get_caller_identity", "identify the caller")
        return str(reply["Account"])
