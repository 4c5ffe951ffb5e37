"""The one error tree of disa-deploy and the exit codes a CI job can branch on.

Every failure a user can meet is a ``DeployError`` subclass carrying a one-line message and
an optional ``hint`` (the next thing to try). The CLI prints it once, on stderr, and exits
with the class's ``exit_code``; nothing below the CLI prints errors or calls ``sys.exit``.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # deployed, destroyed, or nothing to change
    INTERNAL = 1  # a bug: an exception that is not a DeployError
    CONFIG = 2  # bad command line, config file or credentials
    REFUSED = 3  # pre-flight refused: wrong account, stack state, replacement, protection
    FAILED = 4  # AWS tried and failed: stack rolled back or left failed
    TIMEOUT = 5  # waited longer than allowed for a stack to settle
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT); CloudFormation carries on with what it started


class DeployError(Exception):
    exit_code = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(DeployError):
    exit_code = ExitCode.CONFIG


class CredentialsError(DeployError):
    exit_code = ExitCode.CONFIG


class PreflightError(DeployError):
    exit_code = ExitCode.REFUSED


class DeployFailedError(DeployError):
    """AWS tried and failed; ``root_cause`` (when known) is the failure that matters."""

    exit_code = ExitCode.FAILED

    def __init__(
        self, message: str, hint: str | None = None, root_cause: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, hint)
        self.root_cause = root_cause


class WaitTimeoutError(DeployError):
    exit_code = ExitCode.TIMEOUT


class EmulatorError(DeployError):
    """The local emulator could not be started, reached or stopped."""

    exit_code = ExitCode.CONFIG
