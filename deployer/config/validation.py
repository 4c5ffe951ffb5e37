"""Value checks for environment config keys: each returns the clean value or raises.

Every check takes (file, key, value) so its :class:`ConfigError` names both; the table at
the bottom is the whole schema of an env file. What a stack parameter may hold, and what the
env and project names may be, is not repeated here: the templates declare it (Type,
AllowedValues, AllowedPattern, lengths, values) and :mod:`deployer.config.constraints` reads
it from them, so a template change is the one change. Here a parameter only has to be a
scalar, turned into the string CloudFormation receives.
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
    return {str(name): parameter_string(path, f"{key}.{name}", v) for name, v in value.items()}


def parameter_string(path: Path, key: str, value: Any) -> str:
    """The string CloudFormation receives: YAML's true/5/empty become "true"/"5"/""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise _fail(path, key, f"expected a single value (text, number or true/false), got {value!r}")


def check_name(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(path, key, f"expected a name, got {value!r}")
    return value


TOP_LEVEL_CHECKS: dict[str, Check] = {
    "region": _pattern(_REGION, "an AWS region such as eu-west-1"),
    "account_id": _pattern(_ACCOUNT, 'a quoted string of 12 digits such as "123456789012"'),
    "project": check_name,  # its pattern and length are the templates' (Project parameter)
    "stack_name": _pattern(_STACK, "a CloudFormation stack name"),
    "artifact_stack_name": _pattern(_STACK, "a CloudFormation stack name"),
    "protected": check_bool,
    "endpoint_url": check_url,
    "local": check_bool,
    "emulator_port": check_port,
    "tags": check_tags,
    "parameters": check_parameters,
}
