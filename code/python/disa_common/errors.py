"""Named exceptions the state machine's Retry/Catch match on.

Lambda reports a raised exception's class name as ``errorType`` and Step Functions turns
it into the error name, so these class names are part of the contract with
state-machine/state-machine.json: rename one and the ASL must change with it. Messages
carry AWS error codes or short reasons, never a message body.
"""

from __future__ import annotations


class DisaHandlerError(Exception):
    """Base of the errors below (never raised itself)."""


class ClaimConflictError(DisaHandlerError):
    """The item was not claimable: another run owns it or it already reached an end state."""


class PublishError(DisaHandlerError):
    """SNS did not accept the message; the message is the AWS error code."""


class InvalidRequestError(DisaHandlerError):
    """The handler's input (or the claimed item) lacks what the contract promises."""
