"""Wire at the edge: from a resolved env config to a :class:`Runtime`.

The only function that decides endpoints and builds gateways. For ``local`` envs it imports
:mod:`deployer.local` lazily (so the rest of the tool works without it) and starts or finds
the emulator; its endpoint then applies to every client. :class:`Edge` is what the outermost
caller (the CLI, a test, the benchmark) may swap: client factory, emulator, clock, sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from deployer.config.environment import EnvConfig
from deployer.config.project import Project
from deployer.gateways.aws import AwsTarget, Clients, make_clients
from deployer.gateways.cloudformation import StackGateway
from deployer.gateways.dynamodb import MessageTable
from deployer.gateways.identity import Identity
from deployer.gateways.logs import LogGateway
from deployer.gateways.queues import Queues
from deployer.gateways.runs import FunctionGateway, RunCode, RunGateway
from deployer.gateways.s3 import ArtifactBucket
from deployer.gateways.stepfunctions import ExecutionGateway
from deployer.runtime import Emulator, Progress, Runtime
from deployer.ui.output import UI, render_event, terminal_confirm
from deployer.usecases.consent import Confirm

AWS_POLL_SECONDS = 5.0
LOCAL_POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 30.0

if TYPE_CHECKING:
    from deployer.usecases.follow import SendResult

SmokeRunner = Callable[[Runtime, dict[str, str]], "SendResult"]


@dataclass
class Edge:
    make_clients: Callable[[AwsTarget], Clients] = make_clients
    emulator: Emulator | None = None  # None: the real one, imported when first needed
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall_clock: Callable[[], float] = time.time
    poll_seconds: float | None = None
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    smoke: SmokeRunner | None = None  # None: deployer.usecases.smoke's default
    confirm: Callable[[], Confirm | None] = terminal_confirm  # None from it: no terminal

    def local_emulator(self) -> Emulator:
        if self.emulator is None:
            from deployer import local  # lazy: local mode's dependencies load only when used

            self.emulator = cast(Emulator, local)
        return self.emulator


def emulator_endpoint(
    config: EnvConfig, project: Project, ui: UI, edge: Edge, start: bool
) -> str | None:
    emulator = edge.local_emulator()
    state_dir = project.state_dir("local")
    if start:
        return emulator.ensure_emulator(state_dir, config.emulator_port, ui.progress)
    # ui.progress hears when the emulator died since the last `up`, and what was lost.
    return emulator.emulator_status(state_dir, ui.progress)


def connect(
    config: EnvConfig, project: Project, ui: UI, edge: Edge, start_emulator: bool = True
) -> Runtime | None:
    """The runtime for ``config``; None when a local emulator is wanted but not running."""
    endpoint = config.endpoint_url
    if config.local and endpoint is None:
        endpoint = emulator_endpoint(config, project, ui, edge, start_emulator)
        if endpoint is None:
            return None
    target = AwsTarget(config.region, config.profile, endpoint, emulated=config.local)
    clients = edge.make_clients(target)

    def bucket_for(bucket: str, key_arn: str) -> ArtifactBucket:
        return ArtifactBucket(clients.s3, bucket, key_arn, config.account_id)

    def runs_for(code: RunCode, environment: Mapping[str, str]) -> RunGateway:
        return RunGateway(code, environment, clients.dynamodb, clients.stepfunctions,
                          edge.wall_clock)  # fmt: skip

    default_poll = LOCAL_POLL_SECONDS if config.local else AWS_POLL_SECONDS
    return Runtime(
        config=config,
        project=project,
        ui=ui,
        stacks=StackGateway(clients.cloudformation),
        identity=Identity(clients.sts),
        table=MessageTable(clients.dynamodb, edge.sleep),
        bucket_for=bucket_for,
        endpoint_url=endpoint,
        clock=edge.clock,
        sleep=edge.sleep,
        poll_seconds=edge.poll_seconds if edge.poll_seconds is not None else default_poll,
        heartbeat_seconds=edge.heartbeat_seconds,
        logs=LogGateway(clients.logs),
        executions=ExecutionGateway(clients.stepfunctions),
        wall_clock=edge.wall_clock,
        functions=FunctionGateway(clients.lambda_),
        runs_for=runs_for,
        queues=Queues(clients.sqs),
        progress=Progress(ui.progress, lambda item: ui.progress(render_event(item))),
        emulator=edge.emulator if config.local else None,
    )
