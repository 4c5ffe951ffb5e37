"""Pure checks of the handlers' inputs: item validation, the Process payload, and the
exception names the state machine's Catch matches."""

from __future__ import annotations

import pytest
from disa_common import errors, model
from disa_init_process.handler import invalid_reason
from disa_process.handler import parse_request


@pytest.mark.parametrize(
    ("case", "image", "reason"),
    [
        pytest.param("ok", {"message": {"S": "hello"}}, None, id="ok"),
        pytest.param("unicode", {"message": {"S": "é" * 10}}, None, id="unicode"),
        pytest.param("missing", {}, "MissingMessage", id="missing"),
        pytest.param("empty", {"message": {"S": ""}}, "EmptyMessage", id="empty"),
        pytest.param("null", {"message": {"NULL": True}}, "NotAString", id="null"),
        pytest.param("binary", {"message": {"B": "aGk="}}, "NotAString", id="binary"),
        pytest.param("raw", {"message": "not-an-attribute"}, "NotAString", id="raw"),
        pytest.param(
            "multibyte-over",
            {"message": {"S": "é" * (model.MAX_MESSAGE_BYTES // 2 + 1)}},
            "TooLarge",
            id="bytes-not-characters",
        ),
        pytest.param(
            "at-limit", {"message": {"S": "x" * model.MAX_MESSAGE_BYTES}}, None, id="at-limit"
        ),
    ],
)
def test_invalid_reason(case, image, reason) -> None:
    assert invalid_reason("key", image) == reason


def test_message_plus_a_huge_key_must_fit_sns() -> None:
    image = {"message": {"S": "x" * model.MAX_MESSAGE_BYTES}}
    assert invalid_reason("k" * 2048, image) == "TooLarge"


def test_process_payload_defaults_the_execution_name() -> None:
    request = parse_request({"id": "k", "run": 2, "attempt": 3})
    assert request.execution == model.execution_name("k", 2)
    assert parse_request({"id": "k", "run": 2, "attempt": 3, "execution": "e"}).execution == "e"


@pytest.mark.parametrize("name", ["ClaimConflictError", "PublishError", "InvalidRequestError"])
def test_error_names_are_the_ones_the_state_machine_catches(name) -> None:
    # Lambda reports type(error).__name__ as errorType; renaming breaks the ASL's Catch.
    error_class = getattr(errors, name)
    assert error_class.__name__ == name and issubclass(error_class, Exception)
