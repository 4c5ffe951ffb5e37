"""Value checks for environment config keys: each returns the clean value or raises.

Every check takes (file, key, value) so its :class:`ConfigError` names both; the tables at
the bottom are the whole schema of an env file and of its ``parameters`` mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deployer.errors import ConfigError

Check = Callable[[Path, str, Any], Any]

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_STACK = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653}
)  # fmt: skip


def _fail(path: Path, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{path}: key {key!r}: {problem}")


def _pattern(regex: re.Pattern[str], what: str) -> Check:
    def check(path: Path, key: str, value: Any) -> str:
        if not isinstance(value, str) or not regex.match(value):
            raise _fail(path, key, f"expected {what}, got {value!r}")
        return value

    return check


def check_bool(path: Path, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, key, f"expected true or false, got {value!r}")
    return value


def check_port(path: Path, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1024 <= value <= 65535:
        raise _fail(path, key, f"expected a port number 1024-65535, got {value!r}")
    return value


def check_url(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+/?$", value):
        raise _fail(path, key, f"expected an http(s)://host[:port] URL, got {value!r}")
    return value.rstrip("/")


def check_tags(path: Path, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(path, key, "expected a mapping of tag names to strings")
    for name, tag_value in value.items():
        if not isinstance(name, str) or not isinstance(tag_value, str):
            raise _fail(path, f"{key}.{name}", f"tag values must be strings, got {tag_value!r}")
        if name.startswith(("aws:", "disa:")):
            raise _fail(path, f"{key}.{name}", "the aws: and disa: prefixes are reserved")
    return dict(value)


def check_parameters(path: Path, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(path, key, "expected a mapping of parameter names to values")
    result: dict[str, str] = {}
    for name, param in value.items():
        check = PARAMETER_CHECKS.get(str(name))
        if check is None:
            known = ", ".join(PARAMETER_CHECKS)
            raise _fail(path, f"{key}.{name}", f"unknown parameter; known: {known}")
        result[str(name)] = check(path, f"{key}.{name}", param)
    return result


def check_email(path: Path, key: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise _fail(path, key, f"expected an e-mail address or empty, got {value!r}")
    return value


def _positive_int(limit: int) -> Check:
    def check(path: Path, key: str, value: Any) -> str:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.isdigit():
            number = int(value)
        if number is None or not 1 <= number <= limit:
            raise _fail(path, key, f"expected a whole number 1-{limit}, got {value!r}")
        return str(number)

    return check


def check_bool_param(path: Path, key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value in ("true", "false"):
        return str(value)
    raise _fail(path, key, f"expected true or false, got {value!r}")


def check_retention(path: Path, key: str, value: Any) -> str:
    days = int(value) if isinstance(value, int | str) and str(value).isdigit() else None
    if days not in LOG_RETENTION_DAYS:
        problem = f"expected a CloudWatch Logs retention (e.g. 14, 30, 90), got {value!r}"
        raise _fail(path, key, problem)
    return str(days)


TOP_LEVEL_CHECKS: dict[str, Check] = {
    "region": _pattern(_REGION, "an AWS region such as eu-west-1"),
    "account_id": _pattern(_ACCOUNT, 'a quoted string of 12 digits such as "123456789012"'),
    "project": _pattern(_PROJECT, "lower-case letters, digits and dashes (max 20)"),
    "stack_name": _pattern(_STACK, "a CloudFormation stack name"),
    "artifact_stack_name": _pattern(_STACK, "a CloudFormation stack name"),
    "protected": check_bool,
    "endpoint_url": check_url,
    "local": check_bool,
    "emulator_port": check_port,
    "tags": check_tags,
    "parameters": check_parameters,
}

PARAMETER_CHECKS: dict[str, Check] = {
    "SubscriberEmail": check_email,
    "OpsEmail": check_email,
    "RetrySchedule": _pattern(_SCHEDULE, "rate(N minutes) or cron(...)"),
    "MaxAttempts": _positive_int(100),
    "PublishFailureThreshold": _positive_int(100000),
    "ProtectStatefulResources": check_bool_param,
    "LogRetentionDays": check_retention,
}
