"""Retry delays: exponential per attempt, capped, with "equal jitter".

Half of each delay is fixed, half random, so failed items spread out instead of coming
due together (a thundering herd after an outage), yet no retry comes sooner than half
the nominal delay.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_seconds(
    attempt: int,
    base: float,
    cap: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay before attempt ``attempt`` (1-based): min(cap, base * 2**(attempt-1)), jittered."""
    exponent = min(max(attempt, 1) - 1, 62)  # 2**62 is already far beyond any cap
    nominal = min(float(cap), float(base) * float(2**exponent))
    return nominal / 2 + rand() * nominal / 2


def retry_at(
    now: float,
    attempt: int,
    base: float,
    cap: float,
    rand: Callable[[], float] = random.random,
) -> int:
    """Epoch second at which an item whose next publish is ``attempt`` becomes due."""
    return int(now + backoff_seconds(attempt, base, cap, rand))
