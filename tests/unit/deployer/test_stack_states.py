"""Pre-flight decisions for every stack state (pure)."""

from __future__ import annotations

import pytest

from deployer.cfn.stack_states import Next, decide, owned
from deployer.errors import PreflightError
from deployer.gateways.cloudformation import StackInfo

OWNER = {"disa:managed-by": "disa-deploy", "disa:env": "dev", "disa:project": "disa"}


def stack(status: str, tags: dict[str, str] | None = None) -> StackInfo:
    return StackInfo(
        "disa-dev",
        "arn:aws:cloudformation:us-east-1:1:stack/disa-dev/1",
        status,
        tags=OWNER if tags is None else tags,
    )


@pytest.mark.parametrize(
    ("case", "status", "expected"),
    [
        ("create complete updates", "CREATE_COMPLETE", Next.UPDATE),
        ("update complete updates", "UPDATE_COMPLETE", Next.UPDATE),
        ("rolled-back update updates", "UPDATE_ROLLBACK_COMPLETE", Next.UPDATE),
        ("review in progress creates", "REVIEW_IN_PROGRESS", Next.CREATE),
        ("deleted creates", "DELETE_COMPLETE", Next.CREATE),
        ("owned rollback complete recreates", "ROLLBACK_COMPLETE", Next.RECREATE),
        ("owned create failed recreates", "CREATE_FAILED", Next.RECREATE),
        ("update in progress waits", "UPDATE_IN_PROGRESS", Next.WAIT),
        ("rollback in progress waits", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", Next.WAIT),
        ("delete in progress waits", "DELETE_IN_PROGRESS", Next.WAIT),
    ],
)
def test_decide(case: str, status: str, expected: Next) -> None:
    assert decide(stack(status), OWNER, "us-east-1") is expected


def test_absent_stack_creates() -> None:
    assert decide(None, OWNER, "us-east-1") is Next.CREATE


@pytest.mark.parametrize(
    ("case", "status", "tags", "needle"),
    [
        ("rollback complete of a stranger", "ROLLBACK_COMPLETE", {}, "delete-stack"),
        (
            "owned by another env",
            "ROLLBACK_COMPLETE",
            {**OWNER, "disa:env": "prod"},
            "delete-stack",
        ),
        ("update rollback failed", "UPDATE_ROLLBACK_FAILED", OWNER, "continue-update-rollback"),
        ("delete failed", "DELETE_FAILED", OWNER, "--retain-resources"),
    ],
)
def test_refusals_carry_the_recovery_command(
    case: str, status: str, tags: dict[str, str], needle: str
) -> None:
    with pytest.raises(PreflightError) as caught:
        decide(stack(status, tags), OWNER, "us-east-1")

    assert needle in (caught.value.hint or "")
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(
    ("case", "tags", "named"),
    [
        ("another project", {**OWNER, "disa:project": "someone-else"}, "disa:project=someone-else"),
        ("another env", {**OWNER, "disa:env": "prod"}, "disa:env=prod"),
        ("another tool", {**OWNER, "disa:managed-by": "cdk"}, "disa:managed-by=cdk"),
        ("no project tag", {k: v for k, v in OWNER.items() if k != "disa:project"},
         "disa:project missing"),
    ],
)  # fmt: skip
def test_a_failed_create_is_recreated_only_with_all_three_tags(
    case: str, tags: dict[str, str], named: str
) -> None:
    assert owned(OWNER, OWNER)
    assert not owned(tags, OWNER)
    with pytest.raises(PreflightError) as caught:
        decide(stack("ROLLBACK_COMPLETE", tags), OWNER, "us-east-1")

    assert named in caught.value.message
