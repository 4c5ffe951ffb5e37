"""Environment configuration: one YAML file per environment, validated on load.

Files live in ``deployer/environments/<env>.yaml`` (another directory with ``--config-dir``
or ``DISA_CONFIG_DIR``). Keys::

    region: eu-west-1                 # required
    account_id: "123456789012"        # required unless local; a string of 12 digits
    project: disa                     # default disa
    stack_name: disa-dev              # default <project>-<env>
    artifact_stack_name: ...          # default <project>-<env>-artifacts
    protected: false                  # destroy needs --force-protected when true
    endpoint_url: http://...          # optional: every client talks to this endpoint
    local: false                      # true only in local.yaml: run on the emulator
    emulator_port: 4599               # local only
    tags: {team: messaging}           # stack tags (str -> str)
    parameters:                       # root stack parameters
      SubscriberEmail: ""             # OpsEmail, RetrySchedule, MaxAttempts,
                                      # PublishFailureThreshold, ProtectStatefulResources,
                                      # LogRetentionDays

Environment variables: ``DISA_CONFIG_DIR`` (see above) and ``DISA_LOCAL_PORT``, which
overrides ``emulator_port`` of a local env (a whole number 1024-65535; ignored by the other
envs), e.g. ``DISA_LOCAL_PORT=4600 disa-deploy up`` when 4599 is taken.

The rule: every problem of the file's shape is one :class:`ConfigError` naming the file and
the key (or the variable). Command line flags (``--region``, ``--profile``,
``--endpoint-url``, ``--parameter K=V``) override the file after it has been validated.
What the templates constrain (each parameter's value, the env and project names) is checked
against the templates themselves by ``validate`` and the gate before ``package``/``plan``/
``up`` (:mod:`deployer.config.constraints`); :attr:`EnvConfig.origins` remembers where each
of those values was written (file, line, column, or the flag), so a finding points there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from deployer.config.validation import TOP_LEVEL_CHECKS, parameter_string
from deployer.errors import ConfigError
from deployer.findings import COMMAND_LINE

DEFAULT_ENV = "local"
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[1] / "environments"
LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_REGION = "us-east-1"
DEFAULT_EMULATOR_PORT = 4599
LOCAL_PORT_VARIABLE = "DISA_LOCAL_PORT"
PLACEHOLDER_ACCOUNT = "000000000000"
OWNERSHIP_TAGS = ("disa:managed-by", "disa:env", "disa:project")
MANAGED_BY = "disa-deploy"
# Only what keeps --env a file name in the config dir; the templates' Env parameter says
# what a deployable env name is (checked by validate and the gate, not here).
_ENV_FILE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Origin:
    """Where a value was written: a file's line and column, or a command line flag."""

    file: str  # the env file's path, or "command line"
    key: str  # "parameters.MaxAttempts", "project", "--parameter MaxAttempts", "--env"
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Overrides:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EnvConfig:
    name: str
    source: Path
    region: str
    account_id: str
    project: str
    stack_name: str
    artifact_stack_name: str
    protected: bool
    local: bool
    endpoint_url: str | None
    emulator_port: int
    tags: Mapping[str, str]
    parameters: Mapping[str, str]
    profile: str | None = None
    # "env", "project" and "parameters.<Name>" -> where the value was written
    origins: Mapping[str, Origin] = field(default_factory=dict)

    @property
    def ownership_tags(self) -> dict[str, str]:
        return {"disa:managed-by": MANAGED_BY, "disa:env": self.name, "disa:project": self.project}

    @property
    def stack_tags(self) -> dict[str, str]:
        return {**self.tags, **self.ownership_tags}


def resolve_env_name(given: str | None, environ: Mapping[str, str]) -> str:
    """The env to act on; a CI job that forgot ``--env`` must fail, not deploy locally."""
    if given:
        return given
    if environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        raise ConfigError(
            "CI is set but no --env was given",
            hint="pass --env explicitly in pipelines (e.g. --env dev); local is only a default "
            "for people at a terminal",
        )
    return DEFAULT_ENV


def resolve_config_dir(given: Path | None, environ: Mapping[str, str]) -> Path:
    if given is not None:
        return given
    if environ.get("DISA_CONFIG_DIR"):
        return Path(environ["DISA_CONFIG_DIR"])
    return DEFAULT_CONFIG_DIR


def load_env_config(config_dir: Path, env: str, overrides: Overrides | None = None) -> EnvConfig:
    path = config_dir / f"{env}.yaml"
    if not _ENV_FILE_STEM.match(env) or not path.is_file():
        known = sorted(p.stem for p in config_dir.glob("*.yaml")) if config_dir.is_dir() else []
        raise ConfigError(
            f"unknown environment {env!r}: {path} does not exist",
            hint=f"known environments: {', '.join(known) or 'none'}",
        )
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {_yaml_problem(err)}") from err
    config = parse_env_config(path, env, raw if raw is not None else {})
    config = replace(config, origins={**config.origins, **_value_origins(path, text)})
    return apply_overrides(config, overrides or Overrides())


def _yaml_problem(err: yaml.YAMLError) -> str:
    """``line:column: problem`` of a YAML error (never the parser's Mark object)."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem


def _value_origins(path: Path, text: str) -> dict[str, Origin]:
    """Line and column of ``project`` and of each ``parameters`` value in the file."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    found: dict[str, Origin] = {}
    for key, value in node.value if isinstance(node, yaml.MappingNode) else []:
        if key.value == "project":
            found["project"] = _origin(path, "project", value)
        if key.value == "parameters" and isinstance(value, yaml.MappingNode):
            for name, param in value.value:
                found[f"parameters.{name.value}"] = _origin(path, f"parameters.{name.value}", param)
    return found


def _origin(path: Path, key: str, node: yaml.Node) -> Origin:
    return Origin(str(path), key, node.start_mark.line + 1, node.start_mark.column + 1)


def parse_env_config(path: Path, env: str, raw: Any) -> EnvConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(TOP_LEVEL_CHECKS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r}", hint=f"known keys: {', '.join(TOP_LEVEL_CHECKS)}"
        )
    values = {
        key: check(path, key, raw[key]) for key, check in TOP_LEVEL_CHECKS.items() if key in raw
    }
    local = bool(values.get("local", False))
    if "region" not in values and not local:
        raise ConfigError(f"{path}: missing key 'region'")
    account = values.get("account_id", LOCAL_ACCOUNT_ID if local else None)
    if account is None or account == PLACEHOLDER_ACCOUNT:
        raise ConfigError(
            f"{path}: {'missing key' if account is None else 'placeholder value of'} 'account_id'",
            hint="set account_id to the 12-digit AWS account this environment deploys to",
        )
    if "emulator_port" in values and not local:
        raise ConfigError(f"{path}: key 'emulator_port' is only valid with local: true")
    project = str(values.get("project", "disa"))
    file_origin = Origin(str(path), "env")
    return EnvConfig(
        name=env,
        source=path,
        region=str(values.get("region", LOCAL_REGION)),
        account_id=str(account),
        project=project,
        stack_name=str(values.get("stack_name", f"{project}-{env}")),
        artifact_stack_name=str(values.get("artifact_stack_name", f"{project}-{env}-artifacts")),
        protected=bool(values.get("protected", False)),
        local=local,
        endpoint_url=values.get("endpoint_url"),
        emulator_port=int(values.get("emulator_port", DEFAULT_EMULATOR_PORT)),
        tags=values.get("tags", {}),
        parameters=values.get("parameters", {}),
        origins={"env": file_origin, "project": Origin(str(path), "project")},
    )


def apply_overrides(config: EnvConfig, overrides: Overrides) -> EnvConfig:
    flags = Path("command line")
    changes: dict[str, Any] = {"profile": overrides.profile}
    if overrides.region:
        changes["region"] = TOP_LEVEL_CHECKS["region"](flags, "--region", overrides.region)
    if overrides.endpoint_url:
        changes["endpoint_url"] = TOP_LEVEL_CHECKS["endpoint_url"](
            flags, "--endpoint-url", overrides.endpoint_url
        )
    if overrides.parameters:
        params, origins = dict(config.parameters), dict(config.origins)
        for key, value in overrides.parameters.items():
            params[key] = parameter_string(flags, f"--parameter {key}", value)
            origins[f"parameters.{key}"] = Origin(COMMAND_LINE, f"--parameter {key}")
        changes.update(parameters=params, origins=origins)
    return replace(config, **changes)


def apply_environment(config: EnvConfig, environ: Mapping[str, str]) -> EnvConfig:
    """``DISA_LOCAL_PORT`` over a local env's ``emulator_port``; other envs are unchanged."""
    raw = environ.get(LOCAL_PORT_VARIABLE, "").strip()
    if not raw or not config.local:
        return config
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise ConfigError(
            f"environment variable {LOCAL_PORT_VARIABLE}: expected a port number 1024-65535, "
            f"got {raw!r}",
            hint=f"unset it to use emulator_port from {config.source.name} "
            f"({config.emulator_port})",
        )
    return replace(config, emulator_port=int(raw))


def parse_parameter_flags(pairs: tuple[str, ...]) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--parameter {pair!r}: expected KEY=VALUE")
        result[key.strip()] = value
    return result
