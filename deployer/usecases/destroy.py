"""``destroy``: show what goes, get consent, delete, report what policy kept.

Consent rules, checked before any call that changes anything: a protected env (``protected:
true``, e.g. prod) needs ``--force-protected``; every stack to delete (the root, and with
``--purge-artifacts`` the artifact stack whose bucket is emptied) must carry all three
ownership tags of this env and project, or nothing is deleted; then ``--yes``, or a "yes"
typed at a terminal; without a terminal and without ``--yes`` the tool refuses (a pipeline
never deletes by accident). ``--purge-artifacts`` also deletes every object version in the
artifact bucket and the artifact stack. ``--timeout`` bounds all the deletions together.

Listing nested stacks only informs the prompt, so a failed listing is said and skipped. On
the local emulator a deletion that fails does not stop ``destroy``: the CLI then stops the
emulator, which discards every local resource, and the outcome says what CloudFormation
could not delete.

The root stack of a ``protected`` env carries termination protection (``up`` sets it); with
``--force-protected`` it is turned off just before the deletion. A stack with the protection
on in an env that is *not* protected is refused: someone turned it on by hand, on purpose.

Plan, then execute: :func:`find_targets` (every refusal that needs no consent, and what
would go), consent (:func:`require_consent`, asked by the CLI after it showed the targets),
then :func:`destroy`; each returns a value, the CLI renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from deployer.cfn.diagnosis import PathEvent, find_root_cause, retained
from deployer.cfn.stack_states import foreign_tags, owned
from deployer.errors import DeployError, DeployFailedError, PreflightError
from deployer.gateways.cloudformation import StackInfo
from deployer.runtime import Runtime
from deployer.usecases.consent import Confirm
from deployer.usecases.store import check_account
from deployer.usecases.waiting import Deadline
from deployer.usecases.watch import StackWatcher, newest_event_id

DESTROY_TIMEOUT_SECONDS = 60 * 60


@dataclass(frozen=True)
class DestroyOptions:
    yes: bool = False
    force_protected: bool = False
    purge_artifacts: bool = False
    timeout: float = DESTROY_TIMEOUT_SECONDS


@dataclass
class DestroyOutcome:
    deleted: list[str] = field(default_factory=list)
    retained: list[PathEvent] = field(default_factory=list)
    objects_purged: int = 0
    not_deleted: list[str] = field(default_factory=list)  # local only: the emulator stops
    failure: str = ""  # local only: why CloudFormation could not delete them


@dataclass(frozen=True)
class Targets:
    """What ``destroy`` would delete: the stacks (root, then the store) and what each holds."""

    stacks: tuple[StackInfo, ...]
    store: StackInfo | None  # the artifact stack, with --purge-artifacts
    nested: Mapping[str, tuple[str, ...]]  # stack name -> nested stack paths (or why not)


def find_targets(rt: Runtime, options: DestroyOptions) -> Targets:
    """Every refusal that needs no consent, then the stacks to delete (none: nothing to do)."""
    cfg = rt.config
    if cfg.protected and not options.force_protected:
        raise PreflightError(
            f"env {cfg.name} is protected ({cfg.source}: protected: true)",
            hint="add --force-protected if you really mean to delete it",
        )
    check_account(rt)
    root = rt.stacks.describe(cfg.stack_name)
    store = rt.stacks.describe(cfg.artifact_stack_name) if options.purge_artifacts else None
    stacks = tuple(s for s in (root, store) if s is not None)
    _refuse_foreign(rt, list(stacks))
    if root is not None and root.termination_protection and not cfg.protected:
        raise PreflightError(
            f"refusing to destroy {root.name}: it has termination protection on, but env "
            f"{cfg.name} is not protected ({cfg.source}); nothing was deleted",
            hint="if it is meant to go, turn the protection off yourself (aws cloudformation "
            f"update-termination-protection --no-enable-termination-protection --stack-name "
            f"{root.name}) or run `up`, which sets it as the env file says",
        )
    nested = {s.name: tuple(_nested_paths(rt, s.stack_id, s.name)) for s in stacks}
    return Targets(stacks, store, nested)


def require_consent(rt: Runtime, options: DestroyOptions, confirm: Confirm | None) -> None:
    if options.yes:
        return
    if confirm is None:
        raise PreflightError(
            "refusing to destroy without --yes: no terminal to ask for confirmation",
            hint="pass --yes in scripts and pipelines",
        )
    if not confirm(f"Delete these stacks of env {rt.config.name}?"):
        raise PreflightError("destroy cancelled: nothing was deleted")


def destroy(rt: Runtime, options: DestroyOptions, targets: Targets) -> DestroyOutcome:
    """Delete the targets (consent given); what went, and what policy kept."""
    outcome = DestroyOutcome()
    deadline = Deadline.start(rt, options.timeout)
    try:
        for stack in targets.stacks:
            if stack is targets.store:
                outcome.objects_purged = _empty_bucket(rt, stack)
            _delete(rt, stack, deadline, outcome)
    except DeployError as err:
        if rt.emulator is None:
            raise
        outcome.not_deleted = [s.name for s in targets.stacks if s.name not in outcome.deleted]
        outcome.failure = err.message
    return outcome


def _refuse_foreign(rt: Runtime, targets: list[StackInfo]) -> None:
    cfg, owner = rt.config, rt.config.ownership_tags
    for stack in targets:
        if not owned(stack.tags, owner):
            raise PreflightError(
                f"refusing to destroy {stack.name}: it does not carry this tool's tags for env "
                f"{cfg.name}, project {cfg.project} ({foreign_tags(stack.tags, owner)}); "
                "nothing was deleted",
                hint=f"inspect it; if it is yours to delete, delete it yourself: aws "
                f"cloudformation delete-stack --stack-name {stack.name} --region {cfg.region}",
            )


def _nested_paths(rt: Runtime, stack_id: str, path: str) -> list[str]:
    found: list[str] = []
    try:
        nested = rt.stacks.nested_stacks(stack_id)
    except DeployError as err:
        return [f"{path}/* (could not list them: {err.message})"]
    for logical_id, nested_id in nested:
        found.append(f"{path}/{logical_id}")
        found.extend(_nested_paths(rt, nested_id, f"{path}/{logical_id}"))
    return found


def _empty_bucket(rt: Runtime, store: StackInfo) -> int:
    bucket = store.outputs.get("BucketName")
    if not bucket:
        return 0
    count = rt.bucket_for(bucket, store.outputs.get("KeyArn", "")).purge()
    rt.progress.line(f"purged {count} object versions from {bucket}")
    return count


def _delete(rt: Runtime, stack: StackInfo, deadline: Deadline, outcome: DestroyOutcome) -> None:
    if stack.termination_protection:  # only a protected env's, with --force-protected
        rt.stacks.set_termination_protection(stack.stack_id, False)
        rt.progress.line(f"termination protection of {stack.name}: off, for the deletion")
    marker = newest_event_id(rt, stack.stack_id, deadline)
    rt.stacks.delete_stack(stack.stack_id)
    rt.progress.line(f"deleting {stack.name}")
    result = StackWatcher(rt, stack.name, stack.stack_id, marker).run(deadline)
    outcome.retained.extend(retained(result.events))
    if result.final is not None and result.final.status != "DELETE_COMPLETE":
        cause = find_root_cause(result.events)
        raise DeployFailedError(
            f"delete of {stack.name} failed: stack is {result.final.status}",
            hint="fix the cause, then run destroy again (or delete-stack --retain-resources)",
            root_cause=cause.as_dict() if cause else None,
        )
    outcome.deleted.append(stack.name)
