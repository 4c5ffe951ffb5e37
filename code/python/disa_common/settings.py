"""Handler settings, read from the Lambda environment with the contract's defaults.

Reading is cheap (a few dict look-ups), so handlers read settings on every invocation:
a test or the local emulator that changes the environment is seen at once. Only
TABLE_NAME, STATE_MACHINE_ARN and TOPIC_ARN have no default; a handler that needs one
and finds it empty fails loudly rather than calling AWS with an empty name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

# Worker pools never outgrow the HTTP connection pool of a client (see clients.py).
MAX_CONCURRENCY = 32


class SettingsError(Exception):
    """A required environment variable is missing or a value is not usable."""


@dataclass(frozen=True)
class Settings:
    table_name: str = ""
    metric_namespace: str = "DISA"
    environment: str = ""
    log_level: str = "INFO"
    state_machine_arn: str = ""
    topic_arn: str = ""
    circuit_alarm_name: str = ""
    alarm_cache_seconds: float = 10.0
    retry_shards: int = 4
    retry_base_seconds: int = 60
    retry_max_seconds: int = 3600
    start_concurrency: int = 8
    max_attempts: int = 5
    retry_concurrency: int = 8
    deadline_margin_seconds: float = 10.0
    # How long a disa_retry claim holds an item before another re-drive may take it over.
    retry_lease_seconds: int = 900

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            table_name=env.get("TABLE_NAME", ""),
            metric_namespace=env.get("METRIC_NAMESPACE") or "DISA",
            environment=env.get("ENVIRONMENT", ""),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            state_machine_arn=env.get("STATE_MACHINE_ARN", ""),
            topic_arn=env.get("TOPIC_ARN", ""),
            circuit_alarm_name=env.get("CIRCUIT_ALARM_NAME", ""),
            alarm_cache_seconds=_float(env, "ALARM_CACHE_SECONDS", 10.0),
            retry_shards=_int(env, "RETRY_SHARDS", 4),
            retry_base_seconds=_int(env, "RETRY_BASE_SECONDS", 60),
            retry_max_seconds=_int(env, "RETRY_MAX_SECONDS", 3600),
            start_concurrency=_concurrency(env, "START_CONCURRENCY"),
            max_attempts=_int(env, "MAX_ATTEMPTS", 5),
            retry_concurrency=_concurrency(env, "RETRY_CONCURRENCY"),
            deadline_margin_seconds=_float(env, "DEADLINE_MARGIN_SECONDS", 10.0),
            retry_lease_seconds=_int(env, "RETRY_LEASE_SECONDS", 900),
        )

    def require(self, *names: str) -> Settings:
        """Return self, or raise SettingsError naming every empty required setting."""
        missing = [name.upper() for name in names if not getattr(self, name)]
        if missing:
            raise SettingsError(f"missing environment variable(s): {', '.join(missing)}")
        return self


def _number(
    env: Mapping[str, str], name: str, default: float, minimum: float, kind: type[float]
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    return int(_number(env, name, default, minimum, int))


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, 0, float)


def _concurrency(env: Mapping[str, str], name: str) -> int:
    return min(MAX_CONCURRENCY, _int(env, name, 8))
