"""How ``logs`` asks CloudWatch Logs: which pattern, how far it pages, where a follow resumes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

import deployer.usecases.logs as logs_usecase
from deployer.gateways.logs import LogEvent
from deployer.usecases.logs import LogQuery, follow_logs, read_logs

RID = "8f507cfc-1234-4697-b07a-ac58fc914c95"


@dataclass
class FakeLogs:
    """Serves events per group (pattern applied as a substring, like moto), records calls."""

    events_by_group: dict[str, list[LogEvent]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    served: int = 0

    def events(
        self,
        group: str,
        start_ms: int,
        end_ms: int | None = None,
        pattern: str = "",
        streams: Sequence[str] = (),
        on_missing: Any = None,
    ) -> Iterator[LogEvent]:
        self.calls.append({"group": group, "start": start_ms, "pattern": pattern,
                           "streams": list(streams)})  # fmt: skip
        for event in self.events_by_group.get(group, []):
            if event.timestamp < start_ms or (end_ms is not None and event.timestamp > end_ms):
                continue
            if streams and event.stream not in streams:
                continue
            if pattern and pattern.strip('"') not in event.message:
                continue
            self.served += 1
            yield event


def runtime(fake: FakeLogs, now: float = 1000.0, sleep: Any = None) -> Any:
    config = SimpleNamespace(project="disa", name="dev")
    return SimpleNamespace(config=config, logs=fake, wall_clock=lambda: now, emulated=False,
                           sleep=sleep or (lambda s: None))  # fmt: skip


def event(group: str, ms: int, message: str, stream: str = "s1", n: int = 0) -> LogEvent:
    return LogEvent(group, stream, ms, message, f"{group}-{ms}-{n}")


PROCESS = "/aws/lambda/disa-dev-process"
STATES = "/aws/vendedlogs/states/disa-dev-state-machine"


def handler(event_name: str, item: str) -> str:
    return json.dumps({"level": "INFO", "event": event_name, "requestId": RID, "id": item})


@pytest.mark.parametrize(("item", "pattern"), [("m-1", '"m-1"'), ("has space", ""),
                                                ('q"uote', "")])  # fmt: skip
def test_only_a_plain_id_is_sent_as_a_pattern_and_never_to_the_state_machine(
    item: str, pattern: str
) -> None:
    fake = FakeLogs({PROCESS: [event(PROCESS, 999_000, handler("claimed", item))]})

    result = read_logs(runtime(fake), LogQuery(("process", "states"), 60, item_id=item),
                       executions=frozenset())  # fmt: skip

    assert [c["pattern"] for c in fake.calls if c["group"] == PROCESS][0] == pattern
    assert {c["pattern"] for c in fake.calls if c["group"] == STATES} == {""}
    assert [line.item_id for line in result.lines] == [item]


def test_a_stream_is_read_only_until_the_items_last_invocation_has_ended() -> None:
    ours = [f"START RequestId: {RID}", handler("claimed", "m-1"), "[ERROR] boom",
            f"REPORT RequestId: {RID}\tDuration: 1 ms"]  # fmt: skip
    later = [f"START RequestId: {n}" for n in range(50)]
    stream = [event(PROCESS, 999_000 + i, m, n=i) for i, m in enumerate(ours + later)]
    fake = FakeLogs({PROCESS: stream})

    result = read_logs(runtime(fake), LogQuery(("process",), 60, item_id="m-1"),
                       executions=frozenset())  # fmt: skip

    assert [line.message for line in result.lines] == ours
    assert fake.served < 1 + len(ours) + 2  # the hit, the stream up to REPORT, one more


def test_more_lines_than_the_cap_keep_the_newest_and_say_so(monkeypatch: Any) -> None:
    monkeypatch.setattr(logs_usecase, "MAX_LINES", 3)
    fake = FakeLogs({PROCESS: [event(PROCESS, 999_000 + i, f"line {i}") for i in range(5)]})

    result = read_logs(runtime(fake), LogQuery(("process",), 60))

    assert result.truncated and [line.message for line in result.lines] == [
        "line 2", "line 3", "line 4"]  # fmt: skip


def test_a_follow_resumes_just_before_the_newest_line_and_never_goes_back() -> None:
    fake = FakeLogs({PROCESS: []})
    follow = follow_logs(runtime(fake), LogQuery(("process",), 60), lookback_ms=2_000)

    batches = [next(follow)]  # nothing yet: the next poll starts where this one did
    fake.events_by_group[PROCESS].append(event(PROCESS, 990_000, "old"))
    batches += [next(follow)]
    fake.events_by_group[PROCESS].append(event(PROCESS, 995_000, "new"))
    batches += [next(follow), next(follow)]

    assert [[line.message for line in b] for b in batches] == [[], ["old"], ["new"], []]
    assert [c["start"] for c in fake.calls] == [940_000, 940_000, 988_000, 993_000]
