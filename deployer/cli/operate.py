"""The commands that operate a deployed DISA: ``status`` and ``send``."""

from __future__ import annotations

import click

from deployer.cli.app import Common, command, common_options, run
from deployer.config.environment import EnvConfig
from deployer.config.project import Project
from deployer.errors import EmulatorError
from deployer.runtime import Runtime
from deployer.ui.output import UI, Summary
from deployer.usecases.smoke import send
from deployer.usecases.status import DEFAULT_COUNT_LIMIT, status
from deployer.wiring import Edge


@command("status")
@common_options
@click.option("--count-limit", type=click.IntRange(min=0), default=DEFAULT_COUNT_LIMIT,
              show_default=True, help="Count items by status only if the table holds at most "
              "this many (counting reads the whole table); 0 counts always.")  # fmt: skip
def status_command(common: Common, count_limit: int) -> None:
    def when_down(config: EnvConfig, project: Project, ui: UI, edge: Edge) -> None:
        ui.result("emulator not running: nothing deployed (start it with `disa-deploy up`)")

    def body(rt: Runtime, summary: Summary) -> None:
        status(rt, summary, count_limit)

    run("status", common, body, start_emulator=False, when_down=when_down)


@command("send")
@common_options
@click.argument("message")
@click.option("--timeout", type=click.FloatRange(min=1), default=120.0, show_default=True,
              help="Seconds to follow the message.")  # fmt: skip
def send_command(common: Common, message: str, timeout: float) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        summary.details["send"] = send(rt, message, timeout)
        summary.changed = True

    def when_down(config: EnvConfig, project: Project, ui: UI, edge: Edge) -> None:
        raise EmulatorError("the local emulator is not running", hint="start it: disa-deploy up")

    run("send", common, body, start_emulator=False, when_down=when_down)
