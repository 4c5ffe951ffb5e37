"""DISA_LOCAL_PORT: overrides a local env's emulator_port, leaves other envs alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployer.config.environment import EnvConfig, apply_environment, parse_env_config
from deployer.errors import ConfigError

LOCAL = parse_env_config(Path("local.yaml"), "local", {"local": True, "emulator_port": 4599})
DEV = parse_env_config(
    Path("dev.yaml"), "dev", {"region": "eu-west-1", "account_id": "123456789012"}
)


@pytest.mark.parametrize(
    ("case", "config", "environ", "port"),
    [
        ("unset: the file's port", LOCAL, {}, 4599),
        ("empty counts as unset", LOCAL, {"DISA_LOCAL_PORT": " "}, 4599),
        ("set: the variable wins", LOCAL, {"DISA_LOCAL_PORT": "4600"}, 4600),
        ("lowest allowed", LOCAL, {"DISA_LOCAL_PORT": "1024"}, 1024),
        ("highest allowed", LOCAL, {"DISA_LOCAL_PORT": "65535"}, 65535),
        ("an AWS env ignores it", DEV, {"DISA_LOCAL_PORT": "nonsense"}, DEV.emulator_port),
    ],
)
def test_disa_local_port(case: str, config: EnvConfig, environ: dict[str, str], port: int) -> None:
    assert apply_environment(config, environ).emulator_port == port


@pytest.mark.parametrize("value", ["1023", "65536", "4599.0", "port"])
def test_an_invalid_disa_local_port_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match=r"DISA_LOCAL_PORT: expected a port number 1024-65535"):
        apply_environment(LOCAL, {"DISA_LOCAL_PORT": value})


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (5, "5"), (1.5, "1.5"), (None, ""), ("x", "x")],
)
def test_a_parameter_becomes_the_string_cloudformation_receives(value: object, text: str) -> None:
    from deployer.config.validation import parameter_string

    assert parameter_string(Path("e.yaml"), "parameters.P", value) == text


def test_values_remember_the_line_they_were_written_on(tmp_path: Path) -> None:
    from deployer.config.environment import load_env_config

    (tmp_path / "dev.yaml").write_text(
        'region: us-east-1\naccount_id: "123456789012"\nproject: shop\n'
        "parameters:\n  MaxAttempts: 3\n"
    )

    origins = load_env_config(tmp_path, "dev").origins

    assert (origins["project"].line, origins["project"].column) == (3, 10)
    assert (origins["parameters.MaxAttempts"].line, origins["parameters.MaxAttempts"].column) == (
        5,
        16,
    )
