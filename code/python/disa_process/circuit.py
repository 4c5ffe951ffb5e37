"""The circuit breaker's view of its CloudWatch alarm, read at most once per interval.

The state is cached per container for ALARM_CACHE_SECONDS, so the number of
DescribeAlarms calls grows with time, never with messages. A failed read (or a missing
alarm) counts as closed: the breaker exists to shed load while SNS is failing, and must
not itself stop delivery when CloudWatch is unreachable. Failed reads are cached too, so
an outage of CloudWatch does not turn into one extra call per message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from disa_common import log
from disa_common.aws import AWS_ERRORS, error_code

OPEN = "ALARM"
UNKNOWN = "UNKNOWN"  # read failed or alarm missing: treated as closed
DISABLED = "DISABLED"  # no alarm configured


class CircuitBreaker:
    """Caches ``read_state()`` for ``ttl`` seconds of ``clock`` (injectable for tests)."""

    def __init__(
        self,
        read_state: Callable[[], str],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read_state = read_state
        self._ttl = ttl
        self._clock = clock
        self._state: str | None = None
        self._read_at = 0.0

    @property
    def state(self) -> str:
        now = self._clock()
        if self._state is None or now - self._read_at >= self._ttl:
            self._state = self._read_state()
            self._read_at = now
        return self._state

    def is_open(self) -> bool:
        return self.state == OPEN


def alarm_reader(cloudwatch: Callable[[], Any], alarm_name: str) -> Callable[[], str]:
    """A ``read_state`` for CircuitBreaker: the alarm's StateValue via DescribeAlarms."""
    if not alarm_name:
        return lambda: DISABLED

    def read() -> str:
        try:
            answer = cloudwatch().describe_alarms(AlarmNames=[alarm_name])
        except AWS_ERRORS as err:
            code = error_code(err)
            log.warning("alarm read failed, circuit closed", alarm=alarm_name, error=code)
            return UNKNOWN
        alarms = answer.get("MetricAlarms") or answer.get("CompositeAlarms") or []
        if not alarms:
            log.warning("alarm not found, circuit closed", alarm=alarm_name)
            return UNKNOWN
        state = str(alarms[0].get("StateValue", UNKNOWN))
        log.debug("alarm read", alarm=alarm_name, alarmState=state)
        return state

    return read
