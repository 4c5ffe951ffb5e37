"""Retry delays: exponential, capped, with equal jitter."""

from __future__ import annotations

import pytest
from disa_common.backoff import backoff_seconds, retry_at


@pytest.mark.parametrize(
    ("case", "attempt", "low", "high"),
    [
        pytest.param("first", 1, 30, 60, id="first"),
        pytest.param("second", 2, 60, 120, id="second"),
        pytest.param("fifth", 5, 480, 960, id="fifth"),
        pytest.param("capped", 7, 1800, 3600, id="capped"),
        pytest.param("far-beyond-cap", 10_000, 1800, 3600, id="huge-attempt"),
        pytest.param("zero-treated-as-first", 0, 30, 60, id="zero"),
    ],
)
def test_delay_is_half_fixed_half_random(case, attempt, low, high) -> None:
    assert backoff_seconds(attempt, 60, 3600, rand=lambda: 0.0) == low
    assert backoff_seconds(attempt, 60, 3600, rand=lambda: 1.0) == high


def test_jitter_spreads_items_out() -> None:
    delays = {round(backoff_seconds(3, 60, 3600), 3) for _ in range(50)}
    assert len(delays) > 40
    assert all(120 <= d <= 240 for d in delays)


def test_retry_at_is_a_whole_epoch_second_after_now() -> None:
    assert retry_at(1_000.5, 1, 60, 3600, rand=lambda: 0.5) == 1_045
