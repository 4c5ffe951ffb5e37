"""Translating botocore failures into the error tree, in one place, by family.

Gateways catch the codes they expect (``ValidationError`` "does not exist", ``404``…) and let
everything else through :func:`aws_errors` (or :func:`aws_call`, which also names the call).
The rule: *every* exception a botocore call can raise becomes a :class:`DeployError` with a
documented exit code and a message naming the call (service, operation, endpoint), never
"a bug in disa-deploy" unless the bug is ours. ``botocore.parsers.ResponseParserError`` is
not a ``BotoCoreError``, and a well-formed but foreign reply (an HTML page that happens to
be XML) surfaces as a ``KeyError`` from inside botocore's parser; both are "not a valid AWS
answer". On the JSON protocol (DynamoDB, CloudWatch Logs, Step Functions) botocore parses a
foreign page that answered HTTP 200 as an empty reply, indistinguishable from "no item":
:func:`aws_call` refuses a reply whose content type is not JSON, with the same words.
The families themselves (:data:`FAMILIES`, the table the README's "When an AWS call fails"
rows describe) live in :mod:`deployer.gateways.families`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any

import botocore.exceptions as bce

from deployer.errors import AwsCallError, CallFailure, DeployError
from deployer.gateways.families import (
    AUTH_CODES,
    BAD_REPLY,
    DENIED,
    FAMILIES,
    OTHER,
    REFUSED,
    SERVER_CODES,
    SERVER_ERROR,
    THROTTLED,
    THROTTLING_CODES,
    Family,
)

__all__ = ["FAMILIES", "OTHER", "Call", "aws_call", "aws_errors", "cause_code", "family_of",
           "translate"]  # fmt: skip
DETAIL_LIMIT = 200


@dataclass(frozen=True)
class Call:
    """One AWS API call as a user can look it up: ``cloudformation DescribeStacks at URL``."""

    service: str
    operation: str
    endpoint: str

    def __str__(self) -> str:
        return f"{self.service} {self.operation} at {self.endpoint}"


def call_of(client: Any, method: str) -> Call:
    meta = client.meta
    operation = meta.method_to_api_mapping.get(method, method)
    return Call(meta.service_model.service_name, operation, str(meta.endpoint_url))


def aws_call(client: Any, method: str, action: str, /, **params: Any) -> Any:
    """``client.<method>(**params)``, every failure translated and naming the call."""
    call = call_of(client, method)
    with aws_errors(action, call):
        reply = getattr(client, method)(**params)
    foreign = foreign_content_type(client, reply)
    if foreign is not None:
        raise AwsCallError(
            f"{action}: {call}: {BAD_REPLY.name}: HTTP 200 with content type {foreign}, not JSON",
            BAD_REPLY.hint,
            failure=CallFailure.BAD_REPLY,
        )
    return reply


def foreign_content_type(client: Any, reply: Any) -> str | None:
    """The content type of a JSON-protocol reply that is not JSON (an HTML page, say)."""
    if client.meta.service_model.protocol != "json" or not isinstance(reply, dict):
        return None
    headers = reply.get("ResponseMetadata", {}).get("HTTPHeaders")
    if not headers:  # no HTTP exchange to judge (botocore's Stubber)
        return None
    content_type = str(headers.get("content-type", ""))
    return None if "json" in content_type.lower() else content_type or "(none)"


def cause_code(err: BaseException) -> str:
    """The AWS error code behind a failure :func:`aws_call` translated ("" if none)."""
    cause = err.__cause__ if isinstance(err, DeployError) else err
    return error_code(cause) if isinstance(cause, bce.ClientError) else ""


def family_of(err: BaseException) -> Family:
    """The family of a botocore failure; a foreign exception raised inside botocore's
    parser (an HTML page that happens to be XML) is a reply that is not AWS's."""
    if isinstance(err, bce.ClientError):
        return _client_family(err)
    if not _botocore_class(err):
        return BAD_REPLY
    return next(f for f in FAMILIES if isinstance(err, f.classes))


def error_code(err: bce.ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def error_message(err: bce.ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


@contextmanager
def aws_errors(action: str, call: Call | None = None) -> Iterator[None]:
    try:
        yield
    except DeployError:
        raise
    except Exception as err:
        if not (_botocore_class(err) or _raised_in_parser(err.__traceback__)):
            raise
        raise translate(err, action, call) from err


def translate(err: Exception, action: str, call: Call | None = None) -> DeployError:
    """The error tree's view of a failed botocore call (pure: tests feed it every class)."""
    family = family_of(err)
    where = f"{action}: {call or _call_hint(err)}".rstrip(": ")
    text = f"{where}: {_detail(err, family)}"
    hint = family.hint or None
    if family.failure is not None:
        assert issubclass(family.error, AwsCallError)
        code = error_code(err) if isinstance(err, bce.ClientError) else ""
        return family.error(text, hint, failure=family.failure, code=code)
    return family.error(text, hint)


def _client_family(err: bce.ClientError) -> Family:
    code = error_code(err)
    status = _status(err)
    if code in AUTH_CODES:
        return DENIED
    if code in THROTTLING_CODES or status == HTTPStatus.TOO_MANY_REQUESTS:
        return THROTTLED
    if status >= 500 or code in SERVER_CODES:
        return SERVER_ERROR
    return REFUSED if code else BAD_REPLY


def _detail(err: Exception, family: Family) -> str:
    if isinstance(err, bce.ClientError):
        code, message, status = error_code(err), _short(error_message(err)), _status(err)
        if family is SERVER_ERROR:
            aws_code = "" if code.isdigit() else f" {code}"
            return f"server error: HTTP {status}{_reason(status)}{aws_code}"
        if family is BAD_REPLY:
            return f"{BAD_REPLY.name}: HTTP {status}{_reason(status)} without an AWS error code"
        prefix = "throttled: " if family is THROTTLED else ""
        return f"{prefix}{code}: {message}"
    if isinstance(err, bce.NoCredentialsError):
        return "no AWS credentials found"
    detail = _short(str(err)) or type(err).__name__
    if family.failure is None or family in (OTHER, REFUSED):
        return detail
    if not _botocore_class(err):
        detail = f"{type(err).__name__} {detail}"
    return f"{family.failure.value}: {detail}"


def _call_hint(err: Exception) -> str:
    """What the exception itself says about the call when the gateway did not name it."""
    if isinstance(err, bce.ClientError):
        return str(err.operation_name)
    endpoint = getattr(err, "kwargs", {}).get("endpoint_url")
    return f"at {endpoint}" if endpoint else ""


def _status(err: bce.ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _botocore_class(err: BaseException) -> bool:
    return type(err).__module__.split(".")[0] == "botocore"


def _raised_in_parser(tb: TracebackType | None) -> bool:
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") == "botocore.parsers":
            return True
        tb = tb.tb_next
    return False


def _short(text: str) -> str:
    """The first line, bounded: botocore quotes whole reply bodies, which must not be echoed."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    first = first.removesuffix(" Further retries may succeed:")
    return first if len(first) <= DETAIL_LIMIT else first[: DETAIL_LIMIT - 1] + "…"


def _reason(status: int) -> str:
    try:
        return f" ({HTTPStatus(status).phrase})"
    except ValueError:
        return ""
