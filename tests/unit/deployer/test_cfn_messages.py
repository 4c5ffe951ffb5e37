"""The message-text predicates, one case per known CloudFormation wording."""

from __future__ import annotations

import pytest

from deployer.cfn.messages import (
    change_set_has_no_changes,
    failed_nested_change_set,
    is_does_not_exist,
    is_noise,
)


@pytest.mark.parametrize(
    ("case", "reason", "expected"),
    [
        (
            "submitted info had no changes",
            "The submitted information didn't contain changes. "
            "Submit different information to create a change set.",
            True,
        ),
        ("no updates to perform", "No updates are to be performed.", True),
        ("a real failure", "Parameters: [Env] must have values", False),
        ("no reason at all", None, False),
    ],
)
def test_change_set_has_no_changes(case: str, reason: str | None, expected: bool) -> None:
    assert change_set_has_no_changes(reason) is expected


@pytest.mark.parametrize(
    ("case", "message", "expected"),
    [
        ("stack by name", "Stack with id disa-dev does not exist", True),
        ("change set", "ChangeSet [x] does not exist", True),
        ("other validation error", "Template format error: unsupported structure", False),
    ],
)
def test_is_does_not_exist(case: str, message: str, expected: bool) -> None:
    assert is_does_not_exist(message) is expected


@pytest.mark.parametrize(
    ("case", "reason", "expected"),
    [
        (
            "embedded create",
            "Embedded stack arn:aws:cloudformation:us-east-1:1:stack/x/y was not "
            "successfully created: The following resource(s) failed to create: [Table].",
            True,
        ),
        (
            "embedded update",
            "Embedded stack arn:x was not successfully updated. Currently in "
            "UPDATE_ROLLBACK_IN_PROGRESS with reason: ...",
            True,
        ),
        ("creation cancelled", "Resource creation cancelled", True),
        ("update cancelled", "Resource update cancelled", True),
        ("failed-to-create summary", "The following resource(s) failed to create: [A, B].", True),
        ("a real cause", 'Resource handler returned message: "Table already exists"', False),
    ],
)
def test_is_noise(case: str, reason: str, expected: bool) -> None:
    assert is_noise(reason) is expected


NESTED_ARN = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/nested/abc-123"


@pytest.mark.parametrize(
    ("case", "reason", "expected"),
    [
        (
            "a nested change set failed",
            f"Nested change set {NESTED_ARN} was not successfully created: Currently in FAILED.",
            NESTED_ARN,
        ),
        (
            "a nested change set in another failed state",
            f"Nested change set {NESTED_ARN} was not successfully created: Currently in "
            "DELETE_FAILED",
            NESTED_ARN,
        ),
        ("the change set's own failure", "Template error: unresolved reference Topic", None),
        ("no reason at all", None, None),
    ],
)
def test_failed_nested_change_set(case: str, reason: str | None, expected: str | None) -> None:
    assert failed_nested_change_set(reason) == expected
