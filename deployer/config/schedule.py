"""EventBridge schedule expressions, parsed the way EventBridge rules accept them.

``rate(N unit)``: N a whole number of at least 1, the unit ``minute``/``hour``/``day`` when N
is 1 and ``minutes``/``hours``/``days`` otherwise (EventBridge refuses ``rate(1 minutes)``
and ``rate(5 minute)``). ``cron(...)``: exactly six fields, minutes hours day-of-month month
day-of-week year, with the ranges and wildcards EventBridge documents, and ``?`` in exactly
one of day-of-month and day-of-week. :func:`schedule_problem` says what is wrong, in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RATE = re.compile(r"^rate\((?P<body>.*)\)$", re.S)
CRON = re.compile(r"^cron\((?P<body>.*)\)$", re.S)
UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class CronField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # JAN… or SUN…, numbered from 1
    specials: str = ""  # which of ? L W # the field allows


CRON_FIELDS = (
    CronField("minutes", 0, 59),
    CronField("hours", 0, 23),
    CronField("day-of-month", 1, 31, specials="?LW"),
    CronField("month", 1, 12, MONTHS),
    CronField("day-of-week", 1, 7, DAYS, specials="?L#"),
    CronField("year", 1970, 2199),
)


def schedule_problem(expression: str) -> str | None:
    """None when EventBridge accepts ``expression``, else why it would not."""
    text = expression.strip()
    if (rate := RATE.match(text)) is not None:
        return _rate_problem(rate["body"])
    if (cron := CRON.match(text)) is not None:
        return _cron_problem(cron["body"])
    return "expected rate(N unit) or cron(minutes hours day-of-month month day-of-week year)"


def _rate_problem(body: str) -> str | None:
    parts = body.split()
    if len(parts) != 2 or not parts[0].isdigit():
        return f"rate({body}): expected rate(N unit) with a whole number N, e.g. rate(5 minutes)"
    number, unit = int(parts[0]), parts[1]
    if number < 1:
        return f"rate({body}): the value must be at least 1"
    singular = {v: k for k, v in UNITS.items()}.get(unit, unit)
    if singular not in UNITS:
        return f"rate({body}): unit {unit!r} is not one of minute(s), hour(s), day(s)"
    wanted = singular if number == 1 else UNITS[singular]
    if unit != wanted:
        return f"rate({body}): EventBridge requires rate({number} {wanted})"
    return None


def _cron_problem(body: str) -> str | None:
    fields = body.split()
    if len(fields) != 6:
        return (f"cron({body}): expected six fields (minutes hours day-of-month month "
                f"day-of-week year), got {len(fields)}")  # fmt: skip
    for spec, value in zip(CRON_FIELDS, fields, strict=True):
        problem = _field_problem(spec, value)
        if problem:
            return f"cron({body}): {spec.name} {value!r}: {problem}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return f"cron({body}): exactly one of day-of-month and day-of-week must be '?'"
    return None


def _field_problem(spec: CronField, value: str) -> str | None:
    if value == "?":
        return None if "?" in spec.specials else "'?' is only for day-of-month or day-of-week"
    for item in value.split(","):
        problem = _item_problem(spec, item)
        if problem:
            return problem
    return None


def _item_problem(spec: CronField, item: str) -> str | None:
    base, slash, step = item.partition("/")
    if slash and not (step.isdigit() and int(step) >= 1):
        return f"the increment after '/' must be a whole number of at least 1, got {step!r}"
    if base == "*":
        return None
    if (base == "L" and "L" in spec.specials) or (base == "LW" and "W" in spec.specials):
        return None
    if "W" in spec.specials and base.endswith("W"):
        return _values_problem(spec, base[:-1])
    if "L" in spec.specials and spec.names == DAYS and base.endswith("L"):
        return _values_problem(spec, base[:-1])
    if "#" in spec.specials and "#" in base:
        day, _, nth = base.partition("#")
        if not (nth.isdigit() and 1 <= int(nth) <= 5):
            return f"the week after '#' must be 1-5, got {nth!r}"
        return _values_problem(spec, day)
    low, dash, high = base.partition("-")
    return _values_problem(spec, low) or (_values_problem(spec, high) if dash else None)


def _values_problem(spec: CronField, value: str) -> str | None:
    if value.isdigit() and spec.low <= int(value) <= spec.high:
        return None
    if value.upper() in spec.names:
        return None
    names = f" or {spec.names[0]}-{spec.names[-1]}" if spec.names else ""
    return f"expected {spec.low}-{spec.high}{names}, got {value!r}"
