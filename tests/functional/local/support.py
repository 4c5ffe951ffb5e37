"""Helpers of the local-mode tests: ports, clients on the emulator, tiny zips and functions."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from tests.support.emulator import emulator_client


class Clients:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def __call__(self, service: str) -> Any:
        return emulator_client(self.endpoint, service)


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",'
    ' "Principal": {"Service": "lambda.amazonaws.com"}}]}'
)


def ensure_role(aws: Clients) -> str:
    iam = aws("iam")
    try:
        return str(iam.get_role(RoleName="local-test")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="local-test", AssumeRolePolicyDocument=TRUST)
        return str(role["Role"]["Arn"])


def create_function(aws: Clients, name: str, source: str, **extra: Any) -> str:
    """A python3.12 function whose module ``app`` holds ``source``; returns its ARN."""
    answer = aws("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ensure_role(aws),
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": source})},
        **extra,
    )
    return str(answer["FunctionArn"])
