"""Translating botocore failures into the error tree, in one place, by family.

Gateways catch the codes they expect (``ValidationError`` "does not exist", ``404``…) and let
everything else through :func:`aws_errors` (or :func:`aws_call`, which also names the call).
The rule: *every* exception a botocore call can raise becomes a :class:`DeployError` with a
documented exit code and a message naming the call (service, operation, endpoint), never
"a bug in disa-deploy" unless the bug is ours. ``botocore.parsers.ResponseParserError`` is
not a ``BotoCoreError``, and a well-formed but foreign reply (an HTML page that happens to
be XML) surfaces as a ``KeyError`` from inside botocore's parser; both are "not a valid AWS
answer". :data:`FAMILIES` is the table the README's "When an AWS call fails" rows describe.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any

import botocore.exceptions as bce
from botocore.parsers import ResponseParserError

from deployer.errors import (
    AwsCallError,
    AwsUnreachableError,
    CallFailure,
    ConfigError,
    CredentialsError,
    DeployError,
    InternalError,
)

AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
    }
)
# botocore's throttling codes, minus LimitExceededException (in CloudFormation a quota, not a
# rate) and TransactionInProgressException (a DynamoDB conflict).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
SERVER_CODES = frozenset({"InternalFailure", "InternalError", "ServiceUnavailable"})
DETAIL_LIMIT = 200
BUG_HINT = "this is a bug in disa-deploy; rerun with --debug and report the output"


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
    with aws_errors(action, call_of(client, method)):
        return getattr(client, method)(**params)


@dataclass(frozen=True)
class Family:
    """A group of botocore exception classes that fail the same way for a user."""

    name: str
    classes: tuple[type[BaseException], ...]
    error: type[DeployError]  # its exit_code is the family's exit code
    failure: CallFailure | None  # for AwsCallError families: how the call failed
    hint: str

    @property
    def exit_code(self) -> int:
        return int(self.error.exit_code)


CREDENTIALS = Family(
    "credentials",
    (bce.NoCredentialsError, bce.PartialCredentialsError, bce.CredentialRetrievalError,
     bce.NoAuthTokenError, bce.SSOError, bce.TokenRetrievalError, bce.LoginError,
     bce.RefreshWithMFAUnsupportedError, bce.UnknownCredentialError,
     bce.MetadataRetrievalError, bce.UnknownTokenProviderError),
    CredentialsError, None, "export AWS_PROFILE or run `aws sso login`; --env local needs none",
)  # fmt: skip
UNREACHABLE = Family(
    "unreachable",
    (bce.ConnectionError,),  # EndpointConnectionError, connect timeout, proxy, TLS
    AwsUnreachableError, CallFailure.UNREACHABLE,
    "check the endpoint (--endpoint-url, endpoint_url), network and proxy settings; "
    "for --env local, `disa-deploy status` says whether the emulator runs",
)  # fmt: skip
CONNECTION_LOST = Family(
    "connection lost",
    (bce.HTTPClientError, bce.IncompleteReadError),  # read timeout, connection closed
    AwsCallError, CallFailure.CONNECTION_LOST,
    "the connection broke before an answer came; run the command again",
)  # fmt: skip
BAD_REPLY = Family(
    "not a valid AWS answer",
    (ResponseParserError, bce.ChecksumError, bce.FlexibleChecksumError),
    AwsCallError, CallFailure.BAD_REPLY,
    "something other than AWS answered (a proxy, a wrong endpoint, an emulator gap); "
    "check the endpoint, then run the command again",
)  # fmt: skip
THROTTLED = Family(
    "throttled",
    (bce.CapacityNotAvailableError,),  # and every ClientError with a throttling code
    AwsCallError, CallFailure.THROTTLED,
    "the API rate limit still held after the SDK's retries; run the command again later",
)  # fmt: skip
SERVER_ERROR = Family(
    "server error", (), AwsCallError, CallFailure.SERVER_ERROR,  # HTTP 5xx ClientErrors
    "the service failed after the SDK's retries; run the command again later",
)  # fmt: skip
REFUSED = Family("refused", (), AwsCallError, CallFailure.REFUSED, "")  # other ClientErrors
DENIED = Family(
    "denied", (), CredentialsError, None,  # ClientErrors with an AUTH_CODES code
    "the credentials in use are expired, wrong, or lack a permission this call needs",
)  # fmt: skip
SETTING = Family(
    "botocore setting",
    (bce.ProfileNotFound, bce.ConfigNotFound, bce.ConfigParseError, bce.InvalidConfigError,
     bce.InvalidRetryConfigurationError, bce.BaseEndpointResolverError,
     bce.EndpointProviderError, bce.InvalidRegionError, bce.UnknownRegionError,
     bce.InvalidEndpointConfigurationError, bce.InvalidEndpointDiscoveryConfigurationError,
     bce.InvalidDefaultsMode, bce.InvalidProxiesConfigError, bce.InvalidIMDSEndpointError,
     bce.InvalidIMDSEndpointModeError, bce.InvalidChecksumConfigError,
     bce.InvalidS3AddressingStyleError, bce.InvalidS3UsEast1RegionalEndpointConfigError,
     bce.InvalidSTSRegionalEndpointsConfigError, bce.UnsupportedS3ConfigurationError,
     bce.UnsupportedS3ControlConfigurationError,
     bce.UnsupportedS3AccesspointConfigurationError, bce.UnknownSignatureVersionError,
     bce.UnsupportedSignatureVersionError, bce.ServiceNotInRegionError,
     bce.InvalidDNSNameError, bce.InvalidHostLabelError, bce.MissingDependencyException),
    ConfigError, None, "check the region, profile and endpoint settings (env file, flags, ~/.aws)",
)  # fmt: skip
OUR_BUG = Family(
    "request the tool built",
    (bce.ParamValidationError, bce.ValidationError, bce.MissingParametersError,
     bce.DataNotFoundError, bce.ApiVersionNotFoundError, bce.OperationNotPageableError,
     bce.PaginationError, bce.UnknownClientMethodError, bce.StubResponseError,
     bce.UndefinedModelAttributeError, bce.WaiterError, bce.WaiterConfigError,
     bce.InvalidExpressionError, bce.UnseekableStreamError, bce.UnknownServiceStyle,
     bce.UnsupportedServiceProtocolsError, bce.MD5UnavailableError,
     bce.AwsChunkedWrapperError, bce.UnsupportedS3ArnError,
     bce.UnsupportedOutpostResourceError, bce.UnsupportedS3ControlArnError),
    InternalError, None, BUG_HINT,
)  # fmt: skip
# Whatever botocore adds later: a failed call, exit 4, named like the rest.
OTHER = Family("other botocore failure", (Exception,), AwsCallError, CallFailure.REFUSED, "")
# Order matters: the first family whose classes match wins (InvalidRegionError is a
# botocore ValidationError, a setting, not our bug).
FAMILIES: tuple[Family, ...] = (
    CREDENTIALS, DENIED, UNREACHABLE, CONNECTION_LOST, BAD_REPLY, THROTTLED, SERVER_ERROR,
    REFUSED, SETTING, OUR_BUG, OTHER,
)  # fmt: skip


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
        return family.error(text, hint, failure=family.failure)
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
