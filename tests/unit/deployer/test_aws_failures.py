"""Every exception botocore can raise maps to a documented exit code, with a message naming
the call and its endpoint (pure: each class is fed to the translation directly)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import botocore
import botocore.exceptions as bce
import pytest
from botocore.parsers import ResponseParserError

from deployer.errors import AwsCallError, CallFailure, DeployError, ExitCode
from deployer.gateways.base import FAMILIES, OTHER, Call, family_of, translate

CALL = Call("cloudformation", "DescribeStacks", "https://cloudformation.example")
README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")


def botocore_exception_classes() -> list[type[Exception]]:
    """Every exception class defined anywhere in botocore (warnings aside)."""
    found: dict[str, type[Exception]] = {}
    for info in pkgutil.walk_packages(botocore.__path__, "botocore."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # optional extras (awscrt…) that are not installed
            continue
        for name, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, Exception)
                and not issubclass(value, Warning)
                and value.__module__ == info.name
            ):
                found[f"{info.name}.{name}"] = value
    return [found[key] for key in sorted(found)]


CLASSES = botocore_exception_classes()


def instance(cls: type[Exception]) -> Exception:
    if issubclass(cls, bce.ClientError):
        return cls({"Error": {"Code": "Whatever", "Message": "no"}}, "DescribeStacks")
    return cls.__new__(cls)  # no __init__: many take keyword-only format arguments


def test_the_walk_finds_the_classes_that_matter() -> None:
    assert {ResponseParserError, bce.ClientError, bce.EndpointConnectionError} <= set(CLASSES)
    assert len(CLASSES) > 100


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_botocore_exception_maps_to_a_documented_exit_code(cls: type[Exception]) -> None:
    translated = translate(instance(cls), "describe stack disa-dev", CALL)

    assert isinstance(translated, DeployError)
    assert translated.exit_code in (ExitCode.INTERNAL, ExitCode.CONFIG, ExitCode.FAILED)
    assert translated.message.startswith(f"describe stack disa-dev: {CALL}: ")
    assert f"| {family_of(instance(cls)).name} | {translated.exit_code} |" in README


@pytest.mark.parametrize(
    ("case", "error", "exit_code", "failure"),
    [
        ("unparseable reply", ResponseParserError("Unable to parse response"), 4,
         CallFailure.BAD_REPLY),
        ("connection refused", bce.EndpointConnectionError(endpoint_url="http://x"), 2,
         CallFailure.UNREACHABLE),
        ("read timeout", bce.ReadTimeoutError(endpoint_url="http://x"), 4,
         CallFailure.CONNECTION_LOST),
        ("client-side rate limit", bce.CapacityNotAvailableError(), 4, CallFailure.THROTTLED),
        ("no credentials", bce.NoCredentialsError(), 2, None),
        ("no region", bce.NoRegionError(), 2, None),
        ("a bad region name", bce.InvalidRegionError(region_name="eu west"), 2, None),
        ("a request botocore refuses", bce.ParamValidationError(report="x"), 1, None),
    ],
)  # fmt: skip
def test_each_family_of_botocore_failures(
    case: str, error: Exception, exit_code: int, failure: CallFailure | None
) -> None:
    translated = translate(error, "do it", CALL)

    assert translated.exit_code == exit_code
    assert getattr(translated, "failure", None) is failure


def client_error(code: str, status: int, message: str = "msg") -> bce.ClientError:
    response = {"Error": {"Code": code, "Message": message}} if code else {}
    response["ResponseMetadata"] = {"HTTPStatusCode": status}
    return bce.ClientError(response, "DescribeStacks")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "error", "exit_code", "failure", "says"),
    [
        ("throttled", client_error("Throttling", 400, "Rate exceeded"), 4, CallFailure.THROTTLED,
         "throttled: Throttling: Rate exceeded"),
        ("too many requests", client_error("SomethingNew", 429), 4, CallFailure.THROTTLED,
         "throttled: SomethingNew: msg"),
        ("an HTML 502", client_error("502", 502, "<html>bad gateway</html>"), 4,
         CallFailure.SERVER_ERROR, "server error: HTTP 502 (Bad Gateway)"),
        ("AWS's own 500", client_error("InternalFailure", 500), 4, CallFailure.SERVER_ERROR,
         "server error: HTTP 500 (Internal Server Error) InternalFailure"),
        ("a 4xx with no AWS error", client_error("", 403), 4, CallFailure.BAD_REPLY,
         "not a valid AWS answer: HTTP 403 (Forbidden) without an AWS error code"),
        ("a CloudFormation quota is not throttling",
         client_error("LimitExceededException", 400, "Stack limit reached"), 4,
         CallFailure.REFUSED, "LimitExceededException: Stack limit reached"),
        ("a refusal", client_error("ValidationError", 400, "bad"), 4, CallFailure.REFUSED,
         "ValidationError: bad"),
        ("access denied", client_error("AccessDenied", 403, "no"), 2, None, "AccessDenied: no"),
    ],
)  # fmt: skip
def test_client_errors_by_code_and_status(
    case: str, error: bce.ClientError, exit_code: int, failure: CallFailure | None, says: str
) -> None:
    translated = translate(error, "do it", CALL)

    assert translated.exit_code == exit_code
    assert getattr(translated, "failure", None) is failure
    assert translated.message == f"do it: {CALL}: {says}"


def test_only_refusals_end_a_wait() -> None:
    waits = {f.failure: f.failure.transient for f in FAMILIES if f.failure is not None}
    assert [failure for failure, transient in waits.items() if not transient] == [
        CallFailure.REFUSED
    ]


def test_a_quoted_reply_body_is_cut_to_one_bounded_line() -> None:
    body = "x" * 5000
    error = ResponseParserError(f"Unable to parse response, invalid XML received.\nb'{body}'")

    translated = translate(error, "do it", CALL)

    assert isinstance(translated, AwsCallError)
    assert body[:300] not in translated.message and "\n" not in translated.message
    assert translated.message.endswith("Unable to parse response, invalid XML received.")


def test_missing_credentials_say_so_as_the_readme_quotes() -> None:
    translated = translate(bce.NoCredentialsError(), "identify the caller", CALL)

    assert translated.message == f"identify the caller: {CALL}: no AWS credentials found"
    assert "`error: ... no AWS credentials found`** (exit 2)" in README


def test_a_long_first_line_is_bounded() -> None:
    translated = translate(ResponseParserError("y" * 5000), "do it", CALL)

    assert translated.message.endswith("y…")
    assert len(translated.message) < len(f"do it: {CALL}: not a valid AWS answer: ") + 201


def test_without_a_named_call_the_error_still_says_what_it_knows() -> None:
    refused = translate(bce.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "do it")
    denied = translate(client_error("ValidationError", 400, "bad"), "do it")

    assert refused.message.startswith("do it: at http://127.0.0.1:9: unreachable")
    assert denied.message == "do it: DescribeStacks: ValidationError: bad"


def test_readme_table_lists_every_family_with_its_exit_code_and_wait_rule() -> None:
    rows = {
        name: (code, during_a_wait)
        for name, code, during_a_wait in re.findall(
            r"^\| ([^|]+?) \| (\d) \| ([^|]+?) \|", README, flags=re.M
        )
    }
    for family in (*FAMILIES, OTHER):
        code, during_a_wait = rows[family.name]
        assert code == str(family.exit_code), family.name
        waited_out = family.failure is not None and family.failure.transient
        assert during_a_wait.startswith("waited out") is waited_out, family.name
