"""The one place boto3 sessions and clients are made.

Every client shares the env's region, profile and endpoint (``--endpoint-url`` or the local
emulator's), and botocore's *adaptive* retry mode: standard retries plus client-side rate
limiting, so a throttled DescribeStackEvents loop slows down instead of failing the deploy.
On the local emulator the session carries fixed dummy credentials, so a machine with no AWS
credentials at all can still run the default environment. The operate commands' clients
(Logs, Step Functions, Lambda, SQS) are made on first use: making a client loads its
service model, and most commands never call those services.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from deployer import __version__
from deployer.errors import CredentialsError

CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    user_agent_extra=f"disa-deploy/{__version__}",
    connect_timeout=10,
    read_timeout=60,
)
EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

CallHook = Callable[[str, str], None]  # (service name, operation name)


@dataclass(frozen=True)
class AwsTarget:
    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    emulated: bool = False


class LazyClient:
    """A client made by ``make`` on its first attribute read, then that client."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._make is not None:
                self._client, self._make = self._make(), None
        return getattr(self._client, name)


@dataclass(frozen=True)
class Clients:
    cloudformation: Any
    s3: Any
    sts: Any
    dynamodb: Any
    logs: Any = None  # the operate commands' services; None where a caller needs none
    stepfunctions: Any = None
    lambda_: Any = None  # redrive reads the retry function's settings
    sqs: Any = None  # status counts the dead-letter queues


def make_session(target: AwsTarget) -> boto3.Session:
    credentials = EMULATOR_CREDENTIALS if target.emulated else {}
    try:
        return boto3.Session(profile_name=target.profile, region_name=target.region, **credentials)
    except botocore.exceptions.ProfileNotFound as err:
        raise CredentialsError(
            f"AWS profile {target.profile!r} not found", hint="check ~/.aws/config"
        ) from err


def make_clients(target: AwsTarget, on_call: CallHook | None = None) -> Clients:
    session = make_session(target)
    if on_call is not None:
        hook = on_call

        def record(model: Any, **_: Any) -> None:
            hook(model.service_model.service_name, model.name)

        session.events.register("before-call", record)

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=target.endpoint_url, config=CLIENT_CONFIG)

    return Clients(
        client("cloudformation"),
        client("s3"),
        client("sts"),
        client("dynamodb"),
        logs=LazyClient(lambda: client("logs")),
        stepfunctions=LazyClient(lambda: client("stepfunctions")),
        lambda_=LazyClient(lambda: client("lambda")),
        sqs=LazyClient(lambda: client("sqs")),
    )
