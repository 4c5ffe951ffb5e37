"""Follow a stack operation: events of the root and every nested stack, in time order.

Each poll reads every known stack's events newest-first, only as far back as it has not
seen (the root: the newest event before the operation started; a nested stack: the moment
its parent's event first named it), and reads a nested stack that an
``AWS::CloudFormation::Stack`` event reveals in the same poll. The poll's events are then
merged and printed oldest first, prefixed by the stack path (``disa-dev/LambdaStack``), the
deeper stack first at equal times: a nested failure always prints before the parent's
"Embedded stack ... was not successfully created". If any read of a poll failed, the poll
prints nothing and its events wait for the next complete poll, so the order holds across a
gap too. Event ids are never printed twice.

Reads here only observe: a transient failure is an :class:`~deployer.usecases.waiting.Outage`
(back off, keep watching, report the gap), and the root stack's final status decides the
outcome, even when its last events could not be read. A heartbeat line says the wait goes
on when nothing happened for a while. The operation is over when the root stack is no
longer ``*_IN_PROGRESS``; the wait ends at the command's deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from deployer.cfn.diagnosis import PathEvent, depth
from deployer.cfn.stack_states import is_in_progress
from deployer.errors import AwsCallError
from deployer.gateways.cloudformation import StackEvent, StackInfo
from deployer.runtime import Runtime
from deployer.usecases.waiting import Deadline, Outage, pause, timed_out

FINAL_READ_ATTEMPTS = 4  # reads of the last events once the final status is known


@dataclass
class _Watched:
    path: str
    stack_id: str
    since: datetime | None = None  # ignore events older than this
    marker: str | None = None  # ignore this event and anything older


@dataclass
class WatchResult:
    final: StackInfo | None
    events: list[PathEvent] = field(default_factory=list)


def newest_event_id(rt: Runtime, stack_id: str, deadline: Deadline) -> str | None:
    """The id of the stack's newest event (where a watch starts), read patiently."""
    outage = Outage(rt, f"events of {stack_id}")
    while True:
        try:
            newest = next((event.event_id for event in rt.stacks.events(stack_id)), None)
        except AwsCallError as err:
            outage.absorb(err)
        else:
            outage.recovered()
            return newest
        if deadline.passed(rt.clock()):
            raise timed_out(rt, f"events of {stack_id}", "unreadable", deadline, outage)
        pause(rt, deadline, outage.delay())


class StackWatcher:
    def __init__(self, rt: Runtime, root_name: str, root_id: str, marker: str | None) -> None:
        self.rt = rt
        self.root_id = root_id
        self.watched = [_Watched(root_name, root_id, marker=marker)]
        self.seen: set[str] = set()
        self.events: list[PathEvent] = []
        self.pending: list[PathEvent] = []  # read, not yet printed (a poll was incomplete)
        self.events_gap = Outage(rt, "events")
        self.status_gap = Outage(rt, f"status of {root_name}")
        self.last_status = ""

    @property
    def root_path(self) -> str:
        return self.watched[0].path

    def run(self, deadline: Deadline) -> WatchResult:
        start = last_activity = self.rt.clock()
        while True:
            if self._poll_events():
                last_activity = self.rt.clock()
            known, final = self._read_status()
            if known and (final is None or not is_in_progress(final.status)):
                self._read_last_events(deadline)
                return WatchResult(final, self.events)
            now = self.rt.clock()
            if deadline.passed(now):
                gap = self.status_gap if self.status_gap.active else self.events_gap
                raise timed_out(self.rt, self.root_path, self.last_status, deadline, gap)
            if now - last_activity >= self.rt.heartbeat_seconds:
                status = self.last_status or "status unknown"
                self.rt.progress.line(f"... {self.root_path} {status}, {now - start:.0f}s elapsed")
                last_activity = now
            pause(self.rt, deadline, max(self.events_gap.delay(), self.status_gap.delay()))

    def _read_status(self) -> tuple[bool, StackInfo | None]:
        try:
            stack = self.rt.stacks.describe(self.root_id)
        except AwsCallError as err:
            self.status_gap.absorb(err)
            return False, None
        self.status_gap.recovered()
        if stack is not None:
            self.last_status = stack.status
        return True, stack

    def _read_last_events(self, deadline: Deadline) -> None:
        for attempt in range(FINAL_READ_ATTEMPTS):
            if attempt:
                pause(self.rt, deadline, self.events_gap.delay())
            self._poll_events()
            if not self.events_gap.active or deadline.passed(self.rt.clock()):
                break
        if self.events_gap.active:
            self._print(self.pending)
            self.rt.progress.line(
                f"{self.events_gap.describe()}; the last events of {self.root_path} were not "
                "read, its final status decides the outcome"
            )

    def _poll_events(self) -> bool:
        """Read every watched stack; print the merged batch if every read succeeded."""
        batch: list[PathEvent] = []
        try:
            index = 0
            while index < len(self.watched):  # grows while we read: new stacks this poll
                watched = self.watched[index]
                for event in self._new_events(watched):
                    batch.append(PathEvent(watched.path, event))
                    self._discover(watched, event)
                index += 1
        except AwsCallError as err:
            self.events_gap.absorb(err)
            self.pending.extend(batch)
            return False
        self.events_gap.recovered()
        batch, self.pending = self.pending + batch, []
        self._print(batch)
        return bool(batch)

    def _print(self, batch: list[PathEvent]) -> None:
        batch.sort(key=lambda item: (item.event.timestamp, -depth(item.path)))
        for item in batch:
            self.events.append(item)
            self.rt.progress.event(item)

    def _new_events(self, watched: _Watched) -> list[StackEvent]:
        batch: list[StackEvent] = []
        for event in self.rt.stacks.events(watched.stack_id):
            if event.event_id in self.seen or event.event_id == watched.marker:
                break
            if watched.since is not None and event.timestamp < watched.since:
                break
            batch.append(event)
        self.seen.update(event.event_id for event in batch)
        return list(reversed(batch))

    def _discover(self, parent: _Watched, event: StackEvent) -> None:
        nested = event.resource_type == "AWS::CloudFormation::Stack"
        arn = event.physical_id
        if not nested or not arn.startswith("arn:") or arn == parent.stack_id:
            return
        if any(w.stack_id == arn for w in self.watched):
            return
        path = f"{parent.path}/{event.logical_id}"
        self.watched.append(_Watched(path, arn, since=event.timestamp))
