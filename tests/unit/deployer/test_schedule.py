"""Schedule expressions: what EventBridge rules accept, and why the rest is refused."""

from __future__ import annotations

import pytest

from deployer.config.schedule import schedule_problem


@pytest.mark.parametrize(
    ("case", "expression"),
    [
        ("one minute, singular", "rate(1 minute)"),
        ("five minutes, plural", "rate(5 minutes)"),
        ("one hour", "rate(1 hour)"),
        ("two days", "rate(2 days)"),
        ("every 10 minutes on weekdays", "cron(0/10 * ? * MON-FRI *)"),
        ("noon every day", "cron(0 12 * * ? *)"),
        ("last day of the month", "cron(0 18 L * ? *)"),
        ("last weekday of the month", "cron(0 18 LW * ? *)"),
        ("nearest weekday to the 15th", "cron(0 18 15W * ? *)"),
        ("second Friday", "cron(0 9 ? * 6#2 *)"),
        ("last Friday", "cron(0 9 ? * 6L *)"),
        ("lists and ranges", "cron(0,30 8-17 ? JAN-MAR,DEC MON *)"),
        ("a year range", "cron(0 0 1 1 ? 2030-2035)"),
    ],
)
def test_accepted(case: str, expression: str) -> None:
    assert schedule_problem(expression) is None


@pytest.mark.parametrize(
    ("case", "expression", "needle"),
    [
        ("zero", "rate(0 minutes)", "at least 1"),
        ("plural for one", "rate(1 minutes)", "rate(1 minute)"),
        ("singular for many", "rate(5 minute)", "rate(5 minutes)"),
        ("unknown unit", "rate(5 weeks)", "'weeks'"),
        ("not a number", "rate(five minutes)", "whole number"),
        ("a fraction", "rate(1.5 hours)", "whole number"),
        ("no unit", "rate(5)", "rate(N unit)"),
        ("cron(x)", "cron(x)", "six fields"),
        (
            "five fields",
            "cron(0 12 * * ?)",
            "six fields (minutes hours day-of-month month day-of-week year), got 5",
        ),
        ("seven fields", "cron(0 12 * * ? * *)", "got 7"),
        ("minute out of range", "cron(60 12 * * ? *)", "minutes '60'"),
        ("hour out of range", "cron(0 24 * * ? *)", "hours '24'"),
        ("day 0", "cron(0 12 0 * ? *)", "day-of-month '0'"),
        ("month name", "cron(0 12 ? FOO MON *)", "month 'FOO'"),
        ("both days given", "cron(0 12 1 * MON *)", "exactly one of day-of-month"),
        ("neither day given", "cron(0 12 ? * ? *)", "exactly one of day-of-month"),
        ("question mark in hours", "cron(0 ? * * ? *)", "only for day-of-month"),
        ("zero step", "cron(0/0 * * * ? *)", "increment"),
        ("week 6", "cron(0 9 ? * 6#6 *)", "1-5"),
        ("year before 1970", "cron(0 0 1 1 ? 1969)", "year '1969'"),
        ("neither rate nor cron", "every 5 minutes", "expected rate(N unit) or cron("),
        ("at() is Scheduler's, not a rule's", "at(2030-01-01T00:00:00)", "expected rate"),
    ],
)
def test_refused(case: str, expression: str, needle: str) -> None:
    problem = schedule_problem(expression)

    assert problem is not None and needle in problem, problem
