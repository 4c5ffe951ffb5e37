"""What Ctrl-C leaves behind, per command, and the command that follows it.

Stopping disa-deploy does not stop CloudFormation: a change set being executed, a stack
being deleted or an artifact store being created carries on (and completes or rolls back)
whatever happens to the process that asked for it. The words below say so plainly and give
the command to watch it; ``up`` waits for a stack still in progress, so running it again is
safe. Exit code 130 (128 + SIGINT), as shells report a process stopped by Ctrl-C. Stopped
before its change set executed, ``plan``/``up`` first removes what it made and says exactly
what it removed or left (:class:`~deployer.errors.Interrupted`'s notes).
"""

from __future__ import annotations

from deployer.config.environment import DEFAULT_ENV, EnvConfig


def interrupted_lines(
    command: str, config: EnvConfig | None, notes: list[str] | None = None
) -> list[str]:
    """``notes``: what the command undid before executing anything (its change set...)."""
    lines = ["interrupted (Ctrl-C): disa-deploy stopped"]
    if config is None:
        return [*lines, "nothing was started: the environment was not loaded yet"]
    flag = "" if config.name == DEFAULT_ENV else f" --env {config.name}"
    if notes is not None:
        return [f"{lines[0]} before executing anything in CloudFormation", *notes,
                f"follow it: disa-deploy status{flag}"]  # fmt: skip
    service = "the emulator's CloudFormation" if config.local else "CloudFormation"
    stack, store = config.stack_name, config.artifact_stack_name
    carries_on = {
        "up": f"{service} carries on with whatever this run had started, if anything: a "
        f"change set executing on {stack}, or the creation of the artifact store {store}; "
        "each completes or rolls back on its own (status shows which)",
        "plan": f"a change set {service} was creating for {stack}, if it had started, stays "
        "there unexecuted (disa-deploy never executes a plan's change set; the next plan or up "
        "makes its own)",
        "package": f"{service} carries on creating the artifact store {store} if it had "
        "started; uploads already made stay (they are content-addressed)",
        "destroy": f"{service} carries on deleting {stack} if the deletion had started",
        "send": "the message item, if it was already written, is processed by DISA as usual",
    }
    follow = {
        "up": f"follow it: disa-deploy status{flag}; then disa-deploy up{flag} again (it waits "
        "for a stack still in progress)",
        "plan": f"follow it: disa-deploy status{flag}",
        "package": f"follow it: disa-deploy status{flag}",
        "destroy": f"follow it: disa-deploy status{flag}; then disa-deploy destroy{flag} again",
        "send": f"follow it: disa-deploy status{flag}",
    }
    if command not in carries_on:
        return [*lines, f"nothing was started in {service}"]
    lines += [carries_on[command], follow[command]]
    if not config.local:
        lines.append(f"or: aws cloudformation describe-stack-events --stack-name {stack} "
                     f"--region {config.region}")  # fmt: skip
    return lines
