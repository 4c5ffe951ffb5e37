"""Follow a stack operation: events of the root and every nested stack, as they happen.

Each poll reads every known stack's events newest-first, only as far back as it has not
seen (the root: the newest event before the operation started; a nested stack: the moment
its parent's event first named it), prints them oldest-first prefixed by the stack path
(``disa-dev/LambdaStack``), and adds any nested stack an ``AWS::CloudFormation::Stack``
event reveals. A heartbeat line says the wait goes on when nothing happened for a while.
The operation is over when the root stack is no longer ``*_IN_PROGRESS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from deployer.cfn.diagnosis import PathEvent
from deployer.cfn.stack_states import is_in_progress
from deployer.errors import WaitTimeoutError
from deployer.gateways.cloudformation import StackEvent, StackInfo
from deployer.runtime import Runtime
from deployer.ui.output import render_event


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


def newest_event_id(rt: Runtime, stack_id: str) -> str | None:
    return next((event.event_id for event in rt.stacks.events(stack_id)), None)


class StackWatcher:
    def __init__(self, rt: Runtime, root_name: str, root_id: str, marker: str | None) -> None:
        self.rt = rt
        self.root_id = root_id
        self.watched = [_Watched(root_name, root_id, marker=marker)]
        self.seen: set[str] = set()
        self.events: list[PathEvent] = []

    def run(self, timeout: float) -> WatchResult:
        start = last_activity = self.rt.clock()
        while True:
            if self._poll_all():
                last_activity = self.rt.clock()
            final = self.rt.stacks.describe(self.root_id)
            if final is None or not is_in_progress(final.status):
                self._poll_all()
                return WatchResult(final, self.events)
            now = self.rt.clock()
            if now - start >= timeout:
                raise WaitTimeoutError(
                    f"{self.watched[0].path} still {final.status} after {timeout:.0f}s",
                    hint="CloudFormation carries on without us; `disa-deploy status` shows it",
                )
            if now - last_activity >= self.rt.heartbeat_seconds:
                self.rt.ui.progress(
                    f"... {self.watched[0].path} {final.status}, {now - start:.0f}s elapsed"
                )
                last_activity = now
            self.rt.wait()

    def _poll_all(self) -> bool:
        fresh = False
        for watched in list(self.watched):  # grows while we iterate: new ones next poll
            for event in self._new_events(watched):
                fresh = True
                item = PathEvent(watched.path, event)
                self.events.append(item)
                self.rt.ui.progress(render_event(item))
                self._discover(watched, event)
        return fresh

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
