"""The ``disa-deploy`` group and what every command shares: options, wiring, exit codes.

This is the one place errors become exit codes (see :mod:`deployer.errors`): a DeployError
is printed once on stderr with its hint; Ctrl-C exits 130 saying what CloudFormation carries
on with (:mod:`deployer.cli.interrupt`); anything else is a bug (exit 1). ``--debug``
re-raises instead. With ``--output json`` stdout holds exactly one JSON document for every
exit: a command's summary, or, for a command line Click refuses before any command runs,
one made by :class:`DisaGroup` (exit 2). The first line every command prints names the
environment and the account/region or emulator it acts on. ``package``, ``plan`` and
``up`` check the tree (``validate``'s checks) before the emulator starts or any AWS call.
The commands themselves live in :mod:`deployer.cli.ship` and :mod:`deployer.cli.operate`.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from deployer import __version__
from deployer.cli import help as cli_help
from deployer.cli.interrupt import interrupted_lines
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
from deployer.errors import DeployError, DeployFailedError, ExitCode, Interrupted
from deployer.findings import InvalidTreeError, Severity
from deployer.runtime import Runtime
from deployer.ui.findings import render_check_summary, render_findings
from deployer.ui.output import UI, Summary, render_root_cause
from deployer.usecases.validate import check_tree
from deployer.wiring import Edge, connect

Body = Callable[[Runtime, Summary], None]
OfflineBody = Callable[[EnvConfig, Project, UI, Summary], None]
WhenDown = Callable[[EnvConfig, Project, UI, Edge], None]


@dataclass(frozen=True)
class Common:
    env: str | None
    config_dir: Path | None
    project_dir: Path | None
    region: str | None
    profile: str | None
    endpoint_url: str | None
    output: str
    debug: bool
    parameter: tuple[str, ...] = ()


COMMON_NAMES = ("env", "config_dir", "project_dir", "region", "profile", "endpoint_url",
                "output", "debug")  # fmt: skip


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
        click.option("--output", type=click.Choice(["text", "json"]), default="text",
                     help="json: one JSON document on stdout for every exit; progress on stderr."),
        click.option("--debug", is_flag=True, help="Show tracebacks (re-raise errors)."),
    ]  # fmt: skip

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> None:
        values = {name: kwargs.pop(name) for name in COMMON_NAMES}
        common = Common(**values, parameter=tuple(kwargs.pop("parameter", ())))
        func(common=common, **kwargs)

    decorated: Callable[..., None] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def parameter_option(func: Callable[..., None]) -> Callable[..., None]:
    """``--parameter``, only on the commands that pass parameters to a stack."""
    return click.option("--parameter", multiple=True, metavar="KEY=VALUE",
                        help="Override a stack parameter (repeatable).")(func)  # fmt: skip


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


@dataclass
class _Session:
    """What one command run knows so far (the interrupt message needs the config)."""

    command: str
    common: Common
    ui: UI
    summary: Summary
    edge: Edge
    config: EnvConfig | None = None

    def load(self) -> tuple[EnvConfig, Project]:
        self.config = _load(self.common)
        self.summary.env = self.config.name
        self.ui.progress(header(self.command, self.config))
        return self.config, find_project(Path.cwd(), self.common.project_dir)


def run(command: str, common: Common, body: Body, start_emulator: bool = True,
        when_down: WhenDown | None = None, gate: bool = False) -> None:  # fmt: skip
    """Load the env, check the tree first if ``gate``, connect, run ``body``, exit."""

    def act(session: _Session) -> None:
        config, project = session.load()
        if gate:
            _check_before_connecting(session, config, project)
        rt = connect(config, project, session.ui, session.edge, start_emulator)
        if rt is None:
            if when_down is not None:
                when_down(config, project, session.ui, session.edge)
        else:
            body(rt, session.summary)

    _run(command, common, act)


def run_offline(command: str, common: Common, body: OfflineBody) -> None:
    """Like :func:`run` for a command that needs no AWS and no emulator (``validate``)."""

    def act(session: _Session) -> None:
        config, project = session.load()
        body(config, project, session.ui, session.summary)

    _run(command, common, act)


def _run(command: str, common: Common, act: Callable[[_Session], None]) -> None:
    edge, ui = current_edge(), _make_ui(common)
    session = _Session(command, common, ui, Summary(command=command, env=common.env or ""), edge)
    summary = session.summary
    started = edge.clock()
    try:
        act(session)
    except DeployError as err:
        if common.debug:
            raise
        _report_error(ui, summary, err)
    except (KeyboardInterrupt, click.Abort) as err:  # with --debug too: the words matter more
        summary.exit_code, summary.error = int(ExitCode.INTERRUPTED), "interrupted"
        notes = err.notes if isinstance(err, Interrupted) else None
        for line in interrupted_lines(command, session.config, notes):
            ui.progress(line)
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


def _check_before_connecting(session: _Session, config: EnvConfig, project: Project) -> None:
    """The gate, before the emulator starts or AWS is called (``package`` repeats it; an
    unchanged tree makes that repeat a look-up)."""
    report = check_tree(project, config, session.edge.clock)
    session.summary.counts.update({f"validate_{k}": v for k, v in report.counts().items()})
    if report.errors:
        raise InvalidTreeError(report.findings)
    warnings = [f for f in report.findings if f.severity is not Severity.ERROR]
    if warnings:
        session.ui.progress(render_findings(warnings))
    session.ui.progress(render_check_summary(report.counts(), report.seconds, report.reused))


def _report_error(ui: UI, summary: Summary, err: DeployError) -> None:
    summary.exit_code, summary.error = int(err.exit_code), err.message
    if isinstance(err, DeployFailedError) and err.root_cause:
        summary.root_cause = err.root_cause
        cause = err.root_cause
        ui.result(render_root_cause(_as_cause(cause)))
    if isinstance(err, InvalidTreeError):
        summary.details["findings"] = [f.as_dict() for f in err.findings]
        ui.result(render_findings(err.findings))
    ui.progress(f"error: {err.message}")
    if err.hint:
        ui.progress(f"hint: {err.hint}")


def _as_cause(cause: dict[str, str]) -> Any:
    from deployer.cfn.diagnosis import RootCause

    return RootCause(**cause)


class DisaGroup(click.Group):
    """The group, keeping the JSON rule where Click would print only text: a command line
    it refuses (exit 2) and Ctrl-C before a command runs (exit 130). It always ends the
    process with the exit code, as Click's standalone mode does."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:  # fmt: skip
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, complete_var, False, **extra)
        except click.ClickException as err:
            err.show()
            code = self._refused(argv, int(ExitCode.CONFIG), err.format_message())
        except click.Abort:
            click.echo("interrupted (Ctrl-C): nothing was started", err=True)
            code = self._refused(argv, int(ExitCode.INTERRUPTED), "interrupted")
        sys.exit(code if isinstance(code, int) else 0)

    def _refused(self, argv: list[str], code: int, message: str) -> int:
        if _option_value(argv, "--output") == "json":
            command = next((word for word in argv if word in self.commands), "")
            summary = Summary(command=command, env=_option_value(argv, "--env") or "",
                              exit_code=code, error=message)  # fmt: skip
            click.echo(summary.to_json())
        return code


def _option_value(argv: list[str], name: str) -> str | None:
    for index, word in enumerate(argv):
        if word == name and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


@click.group(cls=DisaGroup, help=cli_help.GROUP)
@click.version_option(__version__, prog_name="disa-deploy")
def cli() -> None:
    pass


def command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    words = cli_help.COMMANDS[name]
    return cli.command(name, help=words.text, short_help=words.short)
