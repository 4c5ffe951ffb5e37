"""Handler settings: the contract's defaults, parsed and checked from the environment."""

from __future__ import annotations

import pytest
from disa_common.settings import MAX_CONCURRENCY, Settings, SettingsError


def test_defaults_follow_the_contract() -> None:
    settings = Settings.from_env({})
    assert settings.metric_namespace == "DISA" and settings.log_level == "INFO"
    assert settings.alarm_cache_seconds == 10
    assert (settings.retry_shards, settings.retry_base_seconds) == (4, 60)
    assert (settings.retry_max_seconds, settings.max_attempts) == (3600, 5)
    assert (settings.start_concurrency, settings.retry_concurrency) == (8, 8)
    assert settings.deadline_margin_seconds == 10
    assert settings.retry_lease_seconds == 900


def test_values_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "TABLE_NAME": "t",
            "STATE_MACHINE_ARN": "arn:sm",
            "TOPIC_ARN": "arn:topic",
            "CIRCUIT_ALARM_NAME": "alarm",
            "ALARM_CACHE_SECONDS": "2.5",
            "RETRY_SHARDS": "8",
            "MAX_ATTEMPTS": "3",
            "LOG_LEVEL": "debug",
            "START_CONCURRENCY": "500",
            "RETRY_LEASE_SECONDS": "1200",
        }
    )
    assert (settings.table_name, settings.state_machine_arn) == ("t", "arn:sm")
    assert (settings.topic_arn, settings.circuit_alarm_name) == ("arn:topic", "alarm")
    assert settings.alarm_cache_seconds == 2.5
    assert (settings.retry_shards, settings.max_attempts) == (8, 3)
    assert settings.log_level == "DEBUG"
    assert settings.retry_lease_seconds == 1200
    assert settings.start_concurrency == MAX_CONCURRENCY  # never beyond the HTTP pool


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("RETRY_SHARDS", "four", id="not-a-number"),
        pytest.param("RETRY_SHARDS", "0", id="zero-shards"),
        pytest.param("MAX_ATTEMPTS", "-1", id="negative"),
        pytest.param("RETRY_CONCURRENCY", "1.5", id="fraction-for-int"),
        pytest.param("RETRY_LEASE_SECONDS", "0", id="zero-lease"),
    ],
)
def test_unusable_values_are_named(name, value) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_require_names_every_missing_setting() -> None:
    with pytest.raises(SettingsError, match="TABLE_NAME, TOPIC_ARN"):
        Settings.from_env({}).require("table_name", "topic_arn")
    assert Settings.from_env({"TABLE_NAME": "t"}).require("table_name").table_name == "t"
