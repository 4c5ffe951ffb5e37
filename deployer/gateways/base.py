"""Translating botocore failures into the error tree, in one place per kind.

Gateways catch the codes they expect (``ValidationError`` "does not exist", ``404``…) and let
everything else through :func:`aws_errors`, which maps missing or bad credentials to
:class:`CredentialsError`, an unreachable endpoint to :class:`ConfigError`, and any other
refusal to :class:`DeployFailedError` naming the action and AWS's own code and message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import botocore.exceptions

from deployer.errors import ConfigError, CredentialsError, DeployError, DeployFailedError

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


def error_code(err: botocore.exceptions.ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def error_message(err: botocore.exceptions.ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    try:
        yield
    except DeployError:
        raise
    except botocore.exceptions.NoCredentialsError as err:
        raise CredentialsError(
            f"{action}: no AWS credentials found",
            hint="export AWS_PROFILE or run `aws sso login`; --env local needs none",
        ) from err
    except botocore.exceptions.EndpointConnectionError as err:
        raise ConfigError(f"{action}: cannot reach {err.kwargs.get('endpoint_url')}") from err
    except botocore.exceptions.ClientError as err:
        code, message = error_code(err), error_message(err)
        if code in AUTH_CODES:
            raise CredentialsError(f"{action}: {code}: {message}") from err
        raise DeployFailedError(f"{action}: {code}: {message}") from err
    except botocore.exceptions.BotoCoreError as err:  # e.g. an endpoint answering garbage
        raise DeployFailedError(f"{action}: {err}") from err
