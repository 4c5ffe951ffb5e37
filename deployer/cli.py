"""Command-line entry point of disa-deploy (Click). Commands parse, call a use case, render.

This is the one place errors become exit codes (see :mod:`deployer.errors`): a DeployError
is printed once on stderr with its hint; anything else is a bug (exit 1). ``--debug``
re-raises instead. The first line every command prints names the environment and the
account/region or emulator it acts on.
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

from deployer import __version__, cli_help
from deployer.config import (
    DEFAULT_ENV,
    EnvConfig,
    Overrides,
    apply_environment,
    load_env_config,
    parse_parameter_flags,
    resolve_config_dir,
    resolve_env_name,
)
from deployer.errors import DeployError, DeployFailedError, EmulatorError, ExitCode
from deployer.output import UI, Summary, render_mapping, render_next_steps, render_root_cause
from deployer.project import Project, find_project
from deployer.runtime import Runtime
from deployer.usecases.deploy import DeployOptions, deploy
from deployer.usecases.destroy import DestroyOptions, destroy
from deployer.usecases.package import package
from deployer.usecases.smoke import run_smoke, send
from deployer.usecases.status import DEFAULT_COUNT_LIMIT, status
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


def _edge() -> Edge:
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
    edge, ui = _edge(), _make_ui(common)
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
    from deployer.diagnosis import RootCause

    return RootCause(**cause)


@click.group(help=cli_help.GROUP)
@click.version_option(__version__, prog_name="disa-deploy")
def cli() -> None:
    pass


def _command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    words = cli_help.COMMANDS[name]
    return cli.command(name, help=words.text, short_help=words.short)


@_command("package")
@common_options
def package_command(common: Common) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        result = package(rt)
        summary.changed = bool(result.uploaded)
        summary.counts.update(result.counts())
        summary.details["packaged_template"] = str(rt.project.state_dir(rt.config.name))
        rt.ui.result(f"packaged: {len(result.uploaded)} uploaded, {len(result.skipped)} skipped, "
                     f"{result.bytes_uploaded} bytes -> s3://{result.store.bucket}")  # fmt: skip

    run("package", common, body)


@_command("up")
@common_options
@click.option(
    "--allow-replace", is_flag=True, help="Allow replacing/removing tables, keys, buckets."
)
@click.option("--smoke", is_flag=True, help="After deploying, send one message and follow it.")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Minutes to wait for the stack.")  # fmt: skip
def up_command(common: Common, allow_replace: bool, smoke: bool, timeout: float) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        options = DeployOptions(allow_replace=allow_replace, timeout=timeout * 60)
        outcome = deploy(rt, options, summary)
        summary.changed, summary.outputs = outcome.changed, outcome.outputs
        if not outcome.changed and outcome.outputs:
            rt.ui.result(render_mapping("Outputs", outcome.outputs))
        if smoke:
            summary.details["smoke"] = run_smoke(rt, outcome.outputs, _edge().smoke)
        env_flag = "" if rt.config.name == DEFAULT_ENV else f" --env {rt.config.name}"
        rt.ui.result(render_next_steps(env_flag, rt.config.protected))

    run("up", common, body)


@_command("plan")
@common_options
@click.option(
    "--save", type=click.Path(path_type=Path, dir_okay=False), help="Write the plan as JSON."
)
@click.option("--allow-replace", is_flag=True, help="Do not fail on stateful replacements.")
def plan_command(common: Common, save: Path | None, allow_replace: bool) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        deploy(rt, DeployOptions(execute=False, allow_replace=allow_replace, save=save), summary)

    run("plan", common, body)


@_command("destroy")
@common_options
@click.option(
    "--yes", is_flag=True, help="Do not ask for confirmation (required without a terminal)."
)
@click.option(
    "--force-protected", is_flag=True, help="Allow destroying a protected env (e.g. prod)."
)
@click.option(
    "--purge-artifacts", is_flag=True, help="Also empty the artifact bucket and delete its stack."
)
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Minutes to wait for deletion.")  # fmt: skip
def destroy_command(common: Common, yes: bool, force_protected: bool, purge_artifacts: bool,
                    timeout: float) -> None:  # fmt: skip
    confirm = _edge().confirm()
    options = DestroyOptions(yes, force_protected, purge_artifacts, timeout * 60)

    def body(rt: Runtime, summary: Summary) -> None:
        destroy(rt, options, confirm, summary)
        if rt.emulator is not None:
            _stop_emulator(rt.config, rt.project, rt.ui, _edge())

    run("destroy", common, body, start_emulator=False, when_down=_stop_emulator)


def _stop_emulator(config: EnvConfig, project: Project, ui: UI, edge: Edge) -> None:
    stopped = edge.local_emulator().stop_emulator(project.state_dir("local"))
    ui.result("emulator stopped" if stopped else "emulator was not running: nothing to destroy")


@_command("status")
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


@_command("send")
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


def main() -> None:
    cli()
