"""Pure checks of the handlers' inputs: item validation, the Process payload, and the
exception names the state machine's Catch matches."""

from __future__ import annotations

import pytest
from disa_common import errors, model
from disa_common.model import invalid_reason
from disa_process.handler import parse_request

LIMIT = 262_144  # SNS: body plus message attributes, in bytes (see the init-process tests)
ROOM = LIMIT - len("disa_idString" + "key")  # body bytes that fit with the key "key"


@pytest.mark.parametrize(
    ("case", "image", "reason"),
    [
        pytest.param("ok", {"message": {"S": "hello"}}, None, id="ok"),
        pytest.param("unicode", {"message": {"S": "é" * 10}}, None, id="unicode"),
        pytest.param("missing", {}, "MissingMessage", id="missing"),
        pytest.param("empty", {"message": {"S": ""}}, "EmptyMessage", id="empty"),
        pytest.param("null", {"message": {"NULL": True}}, "NotAString", id="null"),
        pytest.param("binary-lambda", {"message": {"B": "aGk="}}, "NotAString", id="binary-b64"),
        pytest.param("binary-boto", {"message": {"B": b"hi"}}, "NotAString", id="binary-bytes"),
        pytest.param("binary-set", {"message": {"BS": ["aGk="]}}, "NotAString", id="binary-set"),
        pytest.param("string-set", {"message": {"SS": ["a"]}}, "NotAString", id="string-set"),
        pytest.param("map", {"message": {"M": {"S": {"S": "x"}}}}, "NotAString", id="map"),
        pytest.param("bool", {"message": {"BOOL": True}}, "NotAString", id="bool"),
        pytest.param("raw", {"message": "not-an-attribute"}, "NotAString", id="raw"),
        pytest.param(
            "multibyte-over",
            {"message": {"S": "é" * (ROOM // 2 + 1)}},
            "TooLarge",
            id="bytes-not-characters",
        ),
        pytest.param("at-limit", {"message": {"S": "x" * ROOM}}, None, id="at-limit"),
        pytest.param("over", {"message": {"S": "x" * (ROOM + 1)}}, "TooLarge", id="one-over"),
        pytest.param(
            "binary-beside",
            {"message": {"S": "hi"}, "blob": {"B": b"\x00"}, "blobs": {"BS": [b"\x01"]}},
            None,
            id="binary-attributes-beside-a-message",
        ),
    ],
)
def test_invalid_reason(case, image, reason) -> None:
    assert invalid_reason("key", image) == reason


def test_message_plus_a_huge_key_must_fit_sns() -> None:
    image = {"message": {"S": "x" * ROOM}}
    assert invalid_reason("k" * 2048, image) == "TooLarge"


def test_process_payload_defaults() -> None:
    request = parse_request({"id": "k", "request": "t", "run": 2, "attempt": 3})
    assert request.execution == model.execution_name("k", "t", 2)
    named = {"id": "k", "request": "t", "run": 2, "attempt": 3, "execution": "e"}
    assert parse_request(named).execution == "e"
    for odd in (42, "", None):
        odd_name = {"id": "k", "request": "t", "run": 2, "attempt": 3, "execution": odd}
        assert parse_request(odd_name).execution == model.execution_name("k", "t", 2)


@pytest.mark.parametrize("field", ["run", "attempt"])
def test_a_bad_number_names_its_field(field) -> None:
    payload = {"id": "k", "request": "t", "run": 1, "attempt": 1, field: 0}
    with pytest.raises(errors.InvalidRequestError, match=f"{field} must be a positive integer"):
        parse_request(payload)


def test_an_execution_from_before_request_tokens_keeps_its_token() -> None:
    request = parse_request({"id": "k", "run": 2, "attempt": 3})
    assert request.request == model.legacy_token("k")


@pytest.mark.parametrize("name", ["ClaimConflictError", "PublishError", "InvalidRequestError"])
def test_error_names_are_the_ones_the_state_machine_catches(name) -> None:
    # Lambda reports type(error).__name__ as errorType; renaming breaks the ASL's Catch.
    error_class = getattr(errors, name)
    assert error_class.__name__ == name and issubclass(error_class, Exception)
