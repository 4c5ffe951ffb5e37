"""Bounded waits and the reads they make, with the injected clock and sleep.

Two rules. Every wait of a command ends at one :class:`Deadline` (``--timeout``, counted from
the first wait): exit 5, with the stack's last status and the command that follows it, since
CloudFormation carries on without us. And a read that only *observes* (a describe or an
events page during a wait) does not end the wait when it fails transiently (throttled, 5xx,
a broken or foreign reply, no connection) after the SDK's own retries: an :class:`Outage`
backs off (doubling, at most 30 s), keeps trying, and says how long the gap lasted once reads
come back ("events unavailable for 40 s: throttled"). A refusal (AccessDenied, a
ValidationError) ends the wait at once, and so does an unreachable *local* emulator, which
runs on this machine: if it does not answer, it has stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from deployer.cfn.stack_states import is_in_progress
from deployer.config.environment import DEFAULT_ENV
from deployer.errors import AwsCallError, CallFailure, WaitTimeoutError
from deployer.gateways.cloudformation import StackInfo
from deployer.runtime import Runtime

MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class Deadline:
    started: float
    seconds: float

    @classmethod
    def start(cls, rt: Runtime, seconds: float) -> Deadline:
        return cls(rt.clock(), seconds)

    def passed(self, now: float) -> bool:
        return now - self.started >= self.seconds

    def remaining(self, now: float) -> float:
        return max(0.0, self.started + self.seconds - now)


class Outage:
    """A run of failed observing reads of one thing: since when, why, how long to back off."""

    def __init__(self, rt: Runtime, what: str) -> None:
        self.rt = rt
        self.what = what
        self.since: float | None = None
        self.why = ""
        self.failures = 0

    @property
    def active(self) -> bool:
        return self.since is not None

    def absorb(self, err: AwsCallError) -> None:
        """Note a failed read, or re-raise it when waiting cannot help."""
        if not err.failure.transient:
            raise err
        if err.failure is CallFailure.UNREACHABLE and self.rt.emulated:
            raise err
        if self.since is None:
            self.since = self.rt.clock()
        self.failures += 1
        self.why = err.failure.value

    def recovered(self) -> None:
        if self.since is not None:
            self.rt.progress.line(self.describe())
        self.since, self.why, self.failures = None, "", 0

    def describe(self) -> str:
        since = self.rt.clock() if self.since is None else self.since
        return f"{self.what} unavailable for {self.rt.clock() - since:.0f} s: {self.why}"

    def delay(self) -> float:
        """The next pause: the poll interval, doubled per failed read while reads fail."""
        poll = self.rt.poll_seconds
        if not self.failures:
            return poll
        return min(poll * 2.0**self.failures, max(MAX_BACKOFF_SECONDS, poll))


def pause(rt: Runtime, deadline: Deadline, seconds: float) -> None:
    """Sleep ``seconds``, but never past the deadline (the next check then ends the wait)."""
    rt.sleep(max(min(seconds, deadline.remaining(rt.clock())), 0.0))


def follow_hint(rt: Runtime, stack: str) -> str:
    flag = "" if rt.config.name == DEFAULT_ENV else f" --env {rt.config.name}"
    hint = f"CloudFormation carries on without us; follow it with `disa-deploy status{flag}`"
    if rt.emulated:
        return hint
    return (
        f"{hint} or `aws cloudformation describe-stack-events --stack-name {stack} "
        f"--region {rt.config.region}`"
    )


def timed_out(
    rt: Runtime, what: str, status: str, deadline: Deadline, gap: Outage | None = None
) -> WaitTimeoutError:
    message = f"{what} still {status or 'in an unknown state'} when --timeout ran out "
    message += f"({deadline.seconds:.0f} s)"
    if gap is not None and gap.active:
        message += f"; {gap.describe()}"
    return WaitTimeoutError(message, hint=follow_hint(rt, rt.config.stack_name))


def settle(rt: Runtime, name: str, deadline: Deadline) -> StackInfo | None:
    """Poll until ``name`` is not in progress (or gone); WaitTimeoutError at the deadline."""
    outage = Outage(rt, f"status of {name}")
    last_status = ""
    while True:
        try:
            stack = rt.stacks.describe(name)
        except AwsCallError as err:
            outage.absorb(err)
        else:
            outage.recovered()
            if stack is None or not is_in_progress(stack.status):
                return stack
            if stack.status != last_status:
                rt.progress.line(f"{name} is {stack.status}: waiting for it to settle")
                last_status = stack.status
        if deadline.passed(rt.clock()):
            raise timed_out(rt, name, last_status, deadline, outage)
        pause(rt, deadline, outage.delay())


def wait_until_settled(rt: Runtime, name: str, timeout: float) -> StackInfo | None:
    """:func:`settle` with a deadline of its own (``timeout`` seconds from now)."""
    return settle(rt, name, Deadline.start(rt, timeout))
