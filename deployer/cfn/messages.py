"""CloudFormation facts that only come as message text, each in one named predicate.

CloudFormation has no error code for "no changes", "does not exist" or the noise a nested
failure leaves behind, so the tool reads English. Each known wording is listed here and has
its own test (as rain's ``changeSetHasNoChanges`` and the CDK's prefix list do), so a new
wording is a one-line change with a failing test to show it.
"""

from __future__ import annotations

import re

NO_CHANGES_MESSAGES = (
    "The submitted information didn't contain changes.",
    "No updates are to be performed.",
)

DOES_NOT_EXIST = re.compile(r"(Stack|ChangeSet) .*does not exist|does not exist$")

# Failure reasons that point elsewhere: the real cause is another (deeper) resource's event.
NOISE_REASONS = (
    re.compile(r"^Embedded stack .* was not successfully (created|updated|deleted)"),
    re.compile(r"^Resource (creation|update|deletion) cancelled"),
    re.compile(r"^The following resource\(s\) failed to (create|update|delete)"),
    re.compile(r"^Stack creation cancelled|^Stack update cancelled"),
)


# A parent change set that failed because a nested one did; the nested one holds the reason.
NESTED_CHANGE_SET_FAILED = re.compile(
    r"^Nested change set (arn:\S+) was not successfully created: Currently in \w+\.?"
)


def change_set_has_no_changes(status_reason: str | None) -> bool:
    reason = status_reason or ""
    return any(reason.startswith(prefix) for prefix in NO_CHANGES_MESSAGES)


def is_does_not_exist(message: str | None) -> bool:
    return bool(DOES_NOT_EXIST.search(message or ""))


def is_noise(reason: str | None) -> bool:
    text = (reason or "").strip()
    return any(pattern.search(text) for pattern in NOISE_REASONS)


def failed_nested_change_set(status_reason: str | None) -> str | None:
    """The ARN of the nested change set a parent's status reason blames, if it blames one."""
    match = NESTED_CHANGE_SET_FAILED.match((status_reason or "").strip())
    return match.group(1) if match else None
