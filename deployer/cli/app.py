"""The ``disa-deploy`` group and what every command shares: options, wiring, exit codes.

This is the one place errors become exit codes (see :mod:`deployer.errors`): a DeployError
is printed once on stderr with its hint; anything else is a bug (exit 1). ``--debug``
re-raises instead. The first line every command prints names the environment and the
account/region or emulator it acts on. The commands themselves live in
:mod:`deployer.cli.ship` and :mod:`deployer.cli.operate`.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from deployer import __version__
from deployer.cli import help as cli_help
from deployer.config.environment import (
    EnvConfig,
    Overrides,
    apply_environment,
    load_env_config,
    parse_parameter_flags,
    resolve_config_dir,
    resolve_env_name,
)
from deployer.config.project import Project, find_project
from deployer.errors import DeployError, DeployFailedError, ExitCode
from deployer.runtime import Runtime
from deployer.ui.output import UI, Summary, render_root_cause
from deployer.wiring import Edge, connect

Body = Callable[[Runtime, Summary], None]
WhenDown = Callable[[EnvConfig, Project, UI, Edge], None]


@dataclass(frozen=True)
class Common:
    env: str | None
    config_dir: Path | None
    project_dir: Path | None
    region: str | None
    profile: str | None
    endpoint_url: str | None
    parameter: tuple[str, ...]
    output: str
    debug: bool


def common_options(func: Callable[..., None]) -> Callable[..., None]:
    options: list[Callable[[Callable[..., None]], Callable[..., None]]] = [
        click.option("--env", "env", help="Environment to act on (default: local)."),
        click.option("--config-dir", type=click.Path(path_type=Path, file_okay=False),
                     help="Env config directory (default: DISA_CONFIG_DIR or the built-in one)."),
        click.option("--project-dir", type=click.Path(path_type=Path, file_okay=False),
                     help="Project root (default: found from the working directory)."),
        click.option("--region", help="Override the env's region."),
        click.option("--profile", help="AWS profile to use."),
        click.option("--endpoint-url", help="Send every AWS call to this endpoint."),
        click.option("--parameter", multiple=True, metavar="KEY=VALUE",
                     help="Override a stack parameter (repeatable)."),
        click.option("--output", type=click.Choice(["text", "json"]), default="text",
                     help="json: one JSON summary on stdout, progress on stderr."),
        click.option("--debug", is_flag=True, help="Show tracebacks (re-raise errors)."),
    ]  # fmt: skip

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> None:
        names = ("env", "config_dir", "project_dir", "region", "profile", "endpoint_url",
                 "parameter", "output", "debug")  # fmt: skip
        common = Common(**{name: kwargs.pop(name) for name in names})
        func(common=common, **kwargs)

    decorated: Callable[..., None] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def current_edge() -> Edge:
    obj = click.get_current_context().obj
    return obj if isinstance(obj, Edge) else Edge()


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _make_ui(common: Common) -> UI:
    color = sys.stdout.isatty() and not _ci()
    return UI(sys.stdout, sys.stderr, json_mode=common.output == "json", color=color)


def _load(common: Common) -> EnvConfig:
    env = resolve_env_name(common.env, os.environ)
    overrides = Overrides(common.region, common.profile, common.endpoint_url,
                          parse_parameter_flags(common.parameter))  # fmt: skip
    config = load_env_config(resolve_config_dir(common.config_dir, os.environ), env, overrides)
    return apply_environment(config, os.environ)


def header(command: str, config: EnvConfig) -> str:
    if config.local and not config.endpoint_url:
        where = f"local emulator on 127.0.0.1:{config.emulator_port} (account {config.account_id}"
        where += f", region {config.region})"
    else:
        where = f"account {config.account_id}, region {config.region}"
        where += f", endpoint {config.endpoint_url}" if config.endpoint_url else ""
    return f"disa-deploy {command}: env {config.name}, {where}, stack {config.stack_name}"


def run(command: str, common: Common, body: Body, start_emulator: bool = True,
        when_down: WhenDown | None = None) -> None:  # fmt: skip
    edge, ui = current_edge(), _make_ui(common)
    summary = Summary(command=command, env=common.env or "")
    started = edge.clock()
    try:
        config = _load(common)
        summary.env = config.name
        ui.progress(header(command, config))
        project = find_project(Path.cwd(), common.project_dir)
        rt = connect(config, project, ui, edge, start_emulator)
        if rt is None:
            if when_down is not None:
                when_down(config, project, ui, edge)
        else:
            body(rt, summary)
    except DeployError as err:
        if common.debug:
            raise
        _report_error(ui, summary, err)
    except Exception as err:  # a bug: say so plainly, keep the traceback one flag away
        if common.debug:
            raise
        summary.exit_code, summary.error = ExitCode.INTERNAL, f"internal error: {err!r}"
        ui.progress(f"error: internal error: {err!r}")
        ui.progress("this is a bug in disa-deploy; rerun with --debug for the traceback")
        ui.progress("".join(traceback.format_exception_only(err)).strip())
    summary.durations["total"] = round(edge.clock() - started, 3)
    ui.summary(summary)
    sys.exit(summary.exit_code)


def _report_error(ui: UI, summary: Summary, err: DeployError) -> None:
    summary.exit_code, summary.error = int(err.exit_code), err.message
    if isinstance(err, DeployFailedError) and err.root_cause:
        summary.root_cause = err.root_cause
        cause = err.root_cause
        ui.result(render_root_cause(_as_cause(cause)))
    ui.progress(f"error: {err.message}")
    if err.hint:
        ui.progress(f"hint: {err.hint}")


def _as_cause(cause: dict[str, str]) -> Any:
    from deployer.cfn.diagnosis import RootCause

    return RootCause(**cause)


@click.group(help=cli_help.GROUP)
@click.version_option(__version__, prog_name="disa-deploy")
def cli() -> None:
    pass


def command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    words = cli_help.COMMANDS[name]
    return cli.command(name, help=words.text, short_help=words.short)
