"""The commands that operate a deployed DISA: ``status`` and ``send``."""

from __future__ import annotations

from pathlib import Path

import click

from deployer.cli.app import Common, command, common_options, run
from deployer.cli.params import DURATION, read_message, show_duration
from deployer.config.environment import EnvConfig
from deployer.config.project import Project
from deployer.errors import EmulatorError
from deployer.runtime import Runtime
from deployer.ui.output import UI, Summary
from deployer.usecases.smoke import SEND_TIMEOUT_SECONDS, send
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
@click.argument("message", required=False)
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Send this file's text (UTF-8) as the message; MESSAGE - reads stdin.",
)
@click.option("--timeout", type=DURATION, default=show_duration(SEND_TIMEOUT_SECONDS),
              show_default=True,
              help="How long to follow the message: seconds, or 90s, 15m, 1h.")  # fmt: skip
def send_command(common: Common, message: str | None, file: Path | None, timeout: float) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        text = read_message(message, file)
        summary.details["send"] = send(rt, text, timeout)
        summary.changed = True

    def when_down(config: EnvConfig, project: Project, ui: UI, edge: Edge) -> None:
        raise EmulatorError("the local emulator is not running", hint="start it: disa-deploy up")

    run("send", common, body, start_emulator=False, when_down=when_down)
