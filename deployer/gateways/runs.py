"""Run gateway: the retry function's own claim and start, run with the tool's clients.

``disa-deploy redrive`` starts runs exactly as disa_retry does, by calling the same code:
``code/python/disa_common/redrive.py`` of the project tree, loaded at run time
(:class:`RunCode`), with the settings the deployed retry function runs with (its Lambda
environment: table, state machine, shards, backoff, lease) and this tool's DynamoDB and
Step Functions clients in place of a Lambda container's. That code raises botocore's
errors as they come; here they become the tool's error tree, like any gateway's.

:class:`FunctionGateway` reads a function's environment (``GetFunctionConfiguration``),
which is where those settings are; a function that does not exist is ``None``. Lambda
returns the variables only to a caller that may use the key they are encrypted with
(the env's key); otherwise it answers with an ``Error`` instead, refused here by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import botocore.exceptions

from deployer.errors import PreflightError
from deployer.gateways.base import aws_errors, error_code


@dataclass(frozen=True)
class RunCode:
    """The project's ``disa_common`` modules that re-drive an item, loaded from its tree."""

    redrive: ModuleType  # disa_common.redrive: the claim and the start
    kit: ModuleType  # disa_common.kit: Deps
    container: ModuleType  # disa_common.container: Container (clients, clocks)
    settings: ModuleType  # disa_common.settings: Settings.from_env


@dataclass(frozen=True)
class Lease:
    """An item leased to its next run (disa_common.redrive.Lease, as plain values)."""

    key: str
    request: str
    run: int
    attempt: int
    execution: str


class RunGateway:
    def __init__(self, code: RunCode, environment: Mapping[str, str], dynamodb: Any,
                 stepfunctions: Any, wall_clock: Callable[[], float]) -> None:  # fmt: skip
        try:
            settings = code.settings.Settings.from_env(environment)
            settings.require("table_name", "state_machine_arn")
        except code.settings.SettingsError as err:
            raise PreflightError(f"the retry function's settings cannot be used: {err}",
                                 hint="redeploy the env: disa-deploy up") from err  # fmt: skip
        clients = {"dynamodb": dynamodb, "stepfunctions": stepfunctions}
        container = code.container.Container(clock=wall_clock, overrides=clients)
        self.code, self.deps = code, code.kit.Deps(settings, container)

    @property
    def table(self) -> str:
        return str(self.deps.settings.table_name)

    @property
    def state_machine_arn(self) -> str:
        return str(self.deps.settings.state_machine_arn)

    def claim(self, key: str, status: str, run: int, attempts: int,
              request: str | None) -> Lease | None:  # fmt: skip
        """Lease the item to its next run if it is still as read; None if it moved on."""
        redrive = self.code.redrive
        wanted = redrive.operator_claim(key, redrive.model.Status(status), run, attempts, request)
        with aws_errors(f"claim item {key} in {self.table}"):
            lease = redrive.claim(self.deps, wanted)
        if lease is None:
            return None
        return Lease(lease.key, lease.request, lease.run, lease.attempt, lease.execution)

    def start(self, lease: Lease) -> bool:
        """Start the leased run; False if its execution already exists."""
        redrive = self.code.redrive
        leased = redrive.Lease(lease.key, lease.request, lease.run, lease.attempt)
        with aws_errors(f"start {lease.execution}"):
            return bool(redrive.start(self.deps, leased))


class FunctionGateway:
    def __init__(self, client: Any) -> None:
        self.client = client

    def environment(self, name: str) -> dict[str, str] | None:
        """The function's environment variables; None if there is no such function."""
        try:
            with aws_errors(f"read the configuration of {name}"):
                answer = self.client.get_function_configuration(FunctionName=name)
        except Exception as err:
            cause = err.__cause__
            if isinstance(cause, botocore.exceptions.ClientError) and error_code(cause) == (
                "ResourceNotFoundException"
            ):
                return None
            raise
        environment = answer.get("Environment", {})
        if environment.get("Error"):  # e.g. the env's key may not be used by this caller
            error = environment["Error"]
            raise PreflightError(
                f"cannot read the environment of {name}: {error.get('ErrorCode', '')} "
                f"{error.get('Message', '')}".strip(),
                hint="the caller needs kms:Decrypt on the env's key through Lambda",
            )
        variables = environment.get("Variables", {})
        return {str(k): str(v) for k, v in variables.items()}
