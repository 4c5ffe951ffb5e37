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


class CallFailure(enum.Enum):
    """How an AWS call failed, in the words a "gap" report uses."""

    REFUSED = "refused"  # AWS answered with an error: nothing was done
    THROTTLED = "throttled"
    SERVER_ERROR = "server error"
    BAD_REPLY = "not a valid AWS answer"
    CONNECTION_LOST = "connection lost"
    UNREACHABLE = "unreachable"

    @property
    def transient(self) -> bool:
        """Trying again later may succeed (every failure but a refusal)."""
        return self is not CallFailure.REFUSED

    @property
    def maybe_done(self) -> bool:
        """The request may have taken effect although no valid answer came back."""
        return self in (
            CallFailure.SERVER_ERROR,
            CallFailure.BAD_REPLY,
            CallFailure.CONNECTION_LOST,
        )


class AwsCallError(DeployFailedError):
    """An AWS call that did not succeed; the message names the call and its endpoint.
    ``code`` is AWS's error code when AWS answered with one (``AlreadyExistsException``)."""

    def __init__(
        self, message: str, hint: str | None = None, *, failure: CallFailure, code: str = ""
    ) -> None:
        super().__init__(message, hint)
        self.failure = failure
        self.code = code


class AwsUnreachableError(AwsCallError):
    """No connection to the endpoint at all: a network or endpoint setting, exit 2."""

    exit_code = ExitCode.CONFIG


class InternalError(DeployError):
    """botocore refused a request the tool built (a bug), named like any other failed call."""

    exit_code = ExitCode.INTERNAL


class WaitTimeoutError(DeployError):
    exit_code = ExitCode.TIMEOUT


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, after the tool undid what it had made before executing anything; ``notes``
    say what it removed, or left and how to remove it."""

    def __init__(self, notes: list[str]) -> None:
        super().__init__()
        self.notes = notes


class EmulatorError(DeployError):
    """The local emulator could not be started, reached or stopped."""

    exit_code = ExitCode.CONFIG
