"""updated_at as the handlers write it: the same shape as the state machine's own writes."""

from __future__ import annotations

import re

import pytest
from disa_common.aws import iso_now

# $$.State.EnteredTime as Step Functions gives it (and the record states store it).
ENTERED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [
        pytest.param(0.0, "1970-01-01T00:00:00.000Z", id="whole-second"),
        pytest.param(1_700_000_000.123999, "2023-11-14T22:13:20.123Z", id="truncated-not-rounded"),
        pytest.param(1_700_000_000.9999, "2023-11-14T22:13:20.999Z", id="end-of-second"),
    ],
)
def test_iso_now_has_step_functions_shape(epoch: float, expected: str) -> None:
    assert iso_now(lambda: epoch) == expected


def test_iso_now_defaults_to_the_wall_clock() -> None:
    assert ENTERED_TIME.fullmatch(iso_now())


def test_handler_and_state_machine_times_sort_in_time_order() -> None:
    by_handler = iso_now(lambda: 1_700_000_000.5)
    by_state_machine = "2023-11-14T22:13:20.501Z"  # one millisecond later
    assert sorted([by_state_machine, by_handler]) == [by_handler, by_state_machine]
