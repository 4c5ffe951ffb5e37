"""The commands that ship DISA: ``validate``, ``package``, ``up``, ``plan`` and ``destroy``.

``package``, ``plan`` and ``up`` run with ``gate=True``: the tree is checked before the
emulator starts or any AWS call (and ``package`` checks again, from the same result).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from deployer.cfn.plan import Plan
from deployer.cli.app import (
    Common,
    command,
    common_options,
    current_edge,
    parameter_option,
    run,
    run_offline,
)
from deployer.cli.operate import smoke_after_up
from deployer.cli.params import DURATION, show_duration
from deployer.config.environment import DEFAULT_ENV, EnvConfig
from deployer.config.project import Project
from deployer.findings import InvalidTreeError
from deployer.runtime import Runtime
from deployer.ui.findings import render_check_summary, render_findings
from deployer.ui.output import UI, Summary, render_next_steps
from deployer.ui.ship import (
    deploy_summary,
    destroy_summary,
    package_summary,
    plan_summary,
    render_destroyed,
    render_nothing_to_destroy,
    render_outputs,
    render_package,
    render_plan,
    render_targets,
)
from deployer.usecases.deploy import DEPLOY_TIMEOUT_SECONDS, DeployOptions, deploy, plan_deploy
from deployer.usecases.destroy import (
    DESTROY_TIMEOUT_SECONDS,
    DestroyOptions,
    destroy,
    find_targets,
    require_consent,
)
from deployer.usecases.package import package
from deployer.usecases.saved_plan import deploy_saved
from deployer.usecases.validate import validate
from deployer.wiring import Edge


@command("validate")
@common_options
@parameter_option
def validate_command(common: Common) -> None:
    def body(config: EnvConfig, project: Project, ui: UI, summary: Summary) -> None:
        report = validate(project, config, current_edge().clock)
        summary.changed = False
        summary.counts.update(report.counts())
        summary.details["findings"] = [f.as_dict() for f in report.findings]
        if report.errors:
            raise InvalidTreeError(report.findings)
        if report.findings:
            ui.result(render_findings(report.findings))
        ui.result(render_check_summary(report.counts(), report.seconds, report.reused))

    run_offline("validate", common, body)


@command("package")
@common_options
@parameter_option
def package_command(common: Common) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        result = package(rt)
        package_summary(result, summary, rt.project.state_dir(rt.config.name))
        rt.ui.result(render_package(result))

    run("package", common, body, gate=True)


@command("up")
@common_options
@parameter_option
@click.option(
    "--allow-replace", is_flag=True, help="Allow replacing/removing tables, keys, buckets."
)
@click.option("--smoke", is_flag=True, help="After deploying, send one message and follow it.")
@click.option("--timeout", type=DURATION, default=show_duration(DEPLOY_TIMEOUT_SECONDS),
              show_default=True,
              help="How long to wait for the stack: seconds, or 90s, 15m, 1h.")  # fmt: skip
@click.option("--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Execute exactly this saved plan (`plan --save FILE`); refused (exit 3) "
              "if the stack, the tree or the env changed since.")  # fmt: skip
def up_command(common: Common, allow_replace: bool, smoke: bool, timeout: float,
               plan_file: Path | None) -> None:  # fmt: skip
    def body(rt: Runtime, summary: Summary) -> None:
        options = DeployOptions(allow_replace=allow_replace, timeout=timeout)
        review = _reviewer(rt, summary)
        if plan_file is None:
            outcome = deploy(rt, options, review)
        else:
            outcome = deploy_saved(rt, plan_file, options, review)
        deploy_summary(outcome, summary)
        outputs = render_outputs(outcome)
        if outputs is not None:
            rt.ui.result(outputs)
        if smoke:
            smoke_after_up(rt, outcome.outputs, summary)
        env_flag = "" if rt.config.name == DEFAULT_ENV else f" --env {rt.config.name}"
        rt.ui.result(render_next_steps(env_flag, rt.config.protected))

    run("up", common, body, gate=True)


@command("plan")
@common_options
@parameter_option
@click.option("--save", type=click.Path(path_type=Path, dir_okay=False),
              help="Keep the change set; write the plan here, for `up --plan`.")  # fmt: skip
@click.option("--allow-replace", is_flag=True, help="Do not fail on stateful replacements.")
def plan_command(common: Common, save: Path | None, allow_replace: bool) -> None:
    def body(rt: Runtime, summary: Summary) -> None:
        options = DeployOptions(allow_replace=allow_replace, save=save)
        outcome = plan_deploy(rt, options, _reviewer(rt, summary))
        deploy_summary(outcome, summary)
        if outcome.saved is not None:
            rt.ui.progress(f"plan saved to {outcome.saved}; change set kept for `up --plan`")

    run("plan", common, body, gate=True)


def _reviewer(rt: Runtime, summary: Summary) -> Callable[[Plan], None]:
    """Shows the plan and records it in the summary before anything executes."""

    def review(plan: Plan) -> None:
        plan_summary(plan, summary)
        rt.ui.result(render_plan(plan, rt.ui))

    return review


@command("destroy")
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
@click.option("--timeout", type=DURATION, default=show_duration(DESTROY_TIMEOUT_SECONDS),
              show_default=True,
              help="How long to wait for the deletion: seconds, or 90s, 15m, 1h.")  # fmt: skip
def destroy_command(common: Common, yes: bool, force_protected: bool, purge_artifacts: bool,
                    timeout: float) -> None:  # fmt: skip
    confirm = current_edge().confirm()
    options = DestroyOptions(yes, force_protected, purge_artifacts, timeout)

    def body(rt: Runtime, summary: Summary) -> None:
        targets = find_targets(rt, options)
        if targets.stacks:
            rt.ui.result(render_targets(rt.config, targets))
            require_consent(rt, options, confirm)
            outcome = destroy(rt, options, targets)
            rt.ui.result(render_destroyed(outcome))
            destroy_summary(outcome, summary)
        else:
            rt.ui.result(render_nothing_to_destroy(rt.config))
        if rt.emulator is not None:
            _stop_emulator(rt.config, rt.project, rt.ui, current_edge())

    run("destroy", common, body, start_emulator=False, when_down=_stop_emulator)


def _stop_emulator(config: EnvConfig, project: Project, ui: UI, edge: Edge) -> None:
    stopped = edge.local_emulator().stop_emulator(project.state_dir("local"))
    ui.result("emulator stopped" if stopped else "emulator was not running: nothing to destroy")
