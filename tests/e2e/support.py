"""Helpers of the e2e tests: the session's private emulator and the deployed system."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import deployer.local as local
from tests.support.emulator import emulator_client


class PrivateEmulator:
    """deployer.local with this session's state dir and port, whatever the config says."""

    def __init__(self, state_dir: Path, port: int) -> None:
        self.state_dir, self.port = state_dir, port

    def ensure_emulator(self, state_dir: Path, port: int, log: Callable[[str], None]) -> str:
        return local.ensure_emulator(self.state_dir, self.port, log)

    def stop_emulator(self, state_dir: Path) -> bool:
        return local.stop_emulator(self.state_dir)

    def emulator_status(
        self, state_dir: Path, log: Callable[[str], None] | None = None
    ) -> str | None:
        return local.emulator_status(self.state_dir, log)


@dataclass
class System:
    endpoint: str
    outputs: dict[str, str]
    up_seconds: float
    edge: Any = None  # the CLI wiring pointed at this emulator

    def client(self, service: str) -> Any:
        return emulator_client(self.endpoint, service)

    def subscribe_queue(self, name: str, raw: bool = False) -> str:
        """A new queue subscribed to the messages topic (raw: the body alone); its URL."""
        sqs, sns = self.client("sqs"), self.client("sns")
        url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=self.outputs["TopicArn"], Protocol="sqs",
            Endpoint=attributes["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true" if raw else "false"},
        )  # fmt: skip
        return url

    def set_environment(self, function: str, **changes: str) -> dict[str, str]:
        """Change some of a function's variables; returns the previous ones."""
        aws_lambda = self.client("lambda")
        config = aws_lambda.get_function_configuration(FunctionName=function)
        # str(): moto keeps CloudFormation's numbers as numbers; Lambda's API wants strings.
        variables = config.get("Environment", {}).get("Variables", {})
        before = {k: str(v) for k, v in variables.items()}
        aws_lambda.update_function_configuration(
            FunctionName=function, Environment={"Variables": {**before, **changes}}
        )
        return before
