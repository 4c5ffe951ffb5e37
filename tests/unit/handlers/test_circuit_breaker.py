"""The circuit breaker's cache: alarm reads bounded by time, failures count as closed."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError, EndpointConnectionError
from disa_process.circuit import CircuitBreaker, alarm_reader


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeCloudWatch:
    """Answers DescribeAlarms with ``states`` in turn; an exception entry is raised."""

    def __init__(self, *states) -> None:
        self.states = list(states)
        self.reads = 0

    def describe_alarms(self, AlarmNames):  # noqa: N803 - boto3's parameter name
        self.reads += 1
        state = self.states[min(self.reads, len(self.states)) - 1]
        if isinstance(state, Exception):
            raise state
        if state is None:
            return {"MetricAlarms": [], "CompositeAlarms": []}
        return {"MetricAlarms": [{"AlarmName": AlarmNames[0], "StateValue": state}]}


def breaker(cloudwatch: FakeCloudWatch, clock: Clock, name: str = "alarm") -> CircuitBreaker:
    return CircuitBreaker(alarm_reader(lambda: cloudwatch, name), ttl=10, clock=clock)


def test_state_is_read_once_per_interval_however_many_messages() -> None:
    cloudwatch, clock = FakeCloudWatch("ALARM", "OK"), Clock()
    circuit = breaker(cloudwatch, clock)

    opens = [circuit.is_open() for _ in range(1000)]
    clock.now = 10.0
    after = circuit.is_open()

    assert all(opens) and after is False
    assert cloudwatch.reads == 2


def test_failed_read_counts_as_closed_and_is_cached_too() -> None:
    outage = EndpointConnectionError(endpoint_url="https://monitoring")
    cloudwatch, clock = FakeCloudWatch(outage), Clock()
    circuit = breaker(cloudwatch, clock)

    assert not any(circuit.is_open() for _ in range(100))
    assert cloudwatch.reads == 1


def test_denied_or_missing_alarm_counts_as_closed() -> None:
    denied = ClientError({"Error": {"Code": "AccessDenied"}}, "DescribeAlarms")
    assert breaker(FakeCloudWatch(denied), Clock()).is_open() is False
    assert breaker(FakeCloudWatch(None), Clock()).is_open() is False


def test_no_alarm_configured_never_reads() -> None:
    cloudwatch = FakeCloudWatch("ALARM")

    assert breaker(cloudwatch, Clock(), name="").is_open() is False
    assert cloudwatch.reads == 0


def test_no_alarm_configured_is_a_named_closed_state() -> None:
    circuit = CircuitBreaker(alarm_reader(lambda: None, ""), ttl=10, clock=Clock())
    assert circuit.state == "DISABLED" and not circuit.is_open()


def test_a_failed_read_logs_its_error_code(capsys) -> None:
    failing = FakeCloudWatch(ClientError({"Error": {"Code": "Throttling"}}, "DescribeAlarms"))
    assert breaker(failing, Clock()).state == "UNKNOWN"
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (line["event"], line["error"]) == ("alarm read failed, circuit closed", "Throttling")
