"""The families of botocore failures: which exceptions and error codes fail the same way
for a user, with the error class (and so the exit code) and hint each becomes.

:data:`FAMILIES` is the table the README's "When an AWS call fails" rows describe;
:mod:`deployer.gateways.base` sorts a failure into one of them (the first that matches).
"""

from __future__ import annotations

from dataclasses import dataclass

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

BUG_HINT = "this is a bug in disa-deploy; rerun with --debug and report the output"
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
