"""``plan --save FILE`` keeps the change set and writes the plan; ``up --plan FILE`` executes
exactly that change set, or refuses (exit 3) when anything it was made from moved since.

On moto with the emulator's change-set and termination-protection patches (``aws``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from deploy_harness import HANDLER_V2, CallLog, Cli, FakeClock, counting_edge

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return tmp_path / "plan.json"


def cloudformation() -> Any:
    return boto3.client("cloudformation", region_name="us-east-1")


def stack_parameters() -> dict[str, str]:
    stack = cloudformation().describe_stacks(StackName="disa-dev")["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


def planned_change_set(path: Path) -> str:
    (step,) = json.loads(path.read_text())["steps"]
    return str(step["change_set_id"])


def test_a_saved_first_create_is_executed_as_reviewed(
    counted: Cli, log: CallLog, saved: Path
) -> None:
    plan = counted("plan", "--env", "dev", "--save", str(saved))
    assert plan.exit_code == 0, plan.output
    assert log.count("DeleteChangeSet") == 0 and log.count("DeleteStack") == 0
    change_set = planned_change_set(saved)
    review = cloudformation().describe_stacks(StackName="disa-dev")["Stacks"][0]
    assert review["StackStatus"] == "REVIEW_IN_PROGRESS"  # kept with its change set
    log.clear()

    up = counted("up", "--env", "dev", "--plan", str(saved), "--output", "json")

    assert up.exit_code == 0, up.output
    assert log.count("CreateChangeSet") == 0 and log.count("PutObject") == 0
    assert log.count("ExecuteChangeSet") == 1
    executed = cloudformation().describe_change_set(ChangeSetName=change_set)
    assert executed["ExecutionStatus"] == "EXECUTE_COMPLETE"
    assert json.loads(up.stdout)["details"]["plan"]["change_set"] == change_set
    assert "Change set for disa-dev (CREATE):" in up.stderr  # the reviewed plan, shown again


def test_a_saved_parameter_update_is_executed_and_shows_old_and_new(
    counted: Cli, saved: Path
) -> None:
    counted("up", "--env", "dev")
    plan = counted("plan", "--env", "dev", "--parameter", "MaxAttempts=4", "--save", str(saved))
    assert plan.exit_code == 0, plan.output
    assert "MaxAttempts  3 -> 4" in plan.stdout
    assert stack_parameters()["MaxAttempts"] == "3"  # planning changed nothing

    up = counted("up", "--env", "dev", "--parameter", "MaxAttempts=4", "--plan", str(saved))

    assert up.exit_code == 0, up.output
    assert stack_parameters()["MaxAttempts"] == "4"


def test_a_saved_no_op_says_no_changes_without_executing(
    counted: Cli, log: CallLog, saved: Path
) -> None:
    counted("up", "--env", "dev")
    counted("plan", "--env", "dev", "--save", str(saved))
    assert json.loads(saved.read_text())["action"] == "NOOP"
    log.clear()

    up = counted("up", "--env", "dev", "--plan", str(saved))

    assert up.exit_code == 0, up.output
    assert "no changes: disa-dev already matches" in up.stdout
    assert log.count("ExecuteChangeSet") == 0 and log.count("CreateChangeSet") == 0


def _edit_handler(run: Cli) -> list[str]:
    (run.project / "code" / "python" / "disa_retry" / "handler.py").write_text(HANDLER_V2)
    return []


def _other_parameter(run: Cli) -> list[str]:
    return ["--parameter", "MaxAttempts=5"]


def _another_up(run: Cli) -> list[str]:
    assert run("up", "--env", "dev", "--parameter", "MaxAttempts=6").exit_code == 0
    return []


def _deleted_change_set(run: Cli) -> list[str]:
    saved = run.project.parent / "plan.json"
    cloudformation().delete_change_set(ChangeSetName=planned_change_set(saved))
    return []


def _removed_artifact(run: Cli) -> list[str]:
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = "disa-dev-artifacts-123456789012"
    zips = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]
            if o["Key"].endswith(".zip")]  # fmt: skip
    s3.delete_object(Bucket=bucket, Key=zips[0])
    return []


def _tags_changed(run: Cli) -> list[str]:
    config = run.project / "config" / "dev.yaml"
    config.write_text(config.read_text().replace("team: messaging", "team: payments"))
    return []


def _protected(run: Cli) -> list[str]:
    config = run.project / "config" / "dev.yaml"
    config.write_text(config.read_text() + "protected: true\n")
    return []


@pytest.mark.parametrize(
    ("case", "move", "words"),
    [
        ("the env became protected", _protected, "`protected` (termination protection) changed"),
        ("the tree changed", _edit_handler, "the tree changed since the plan: disa_retry.zip"),
        (
            "other parameters",
            _other_parameter,
            "MaxAttempts planned '4', now '5' (a --parameter "
            "given to `plan` must be given to `up --plan` too)",
        ),
        ("the env's tags", _tags_changed, "the env's tags changed since the plan"),
        ("another deploy ran", _another_up, "disa-dev changed since the plan: status"),
        ("the change set was deleted", _deleted_change_set, "no longer exists"),
        ("an artifact is gone", _removed_artifact, "is not in the bucket as the plan left it"),
    ],
)
def test_a_stale_plan_is_refused_and_nothing_is_executed_or_uploaded(
    run: Cli, clock: FakeClock, case: str, move: Callable[[Cli], list[str]], words: str
) -> None:
    saved = run.project.parent / "plan.json"
    run("up", "--env", "dev")
    args = ("--env", "dev", "--parameter", "MaxAttempts=4")
    assert run("plan", *args, "--save", str(saved)).exit_code == 0
    extra = move(run) or ["--parameter", "MaxAttempts=4"]
    log = CallLog()

    result = run("up", "--env", "dev", *extra, "--plan", str(saved), "--output", "json",
                 edge=counting_edge(clock, log))  # fmt: skip

    assert result.exit_code == 3, result.output
    assert words in result.stderr
    assert "review a new plan: disa-deploy plan --env dev --save" in result.stderr
    assert log.count("ExecuteChangeSet") == 0 and log.count("PutObject") == 0
    assert log.count("CreateChangeSet") == 0 and log.count("UpdateStack") == 0
    assert json.loads(result.stdout)["exit_code"] == 3


@pytest.mark.parametrize(
    ("case", "content", "words"),
    [
        ("not JSON", "{", "not a readable plan"),
        ("another format", '{"format": "terraform"}', "not a disa-deploy plan"),
        ("a field missing", '{"format": "disa-deploy plan 1"}', "not a readable plan"),
    ],
)
def test_a_file_that_is_not_a_plan_is_refused_before_any_aws_call(
    run: Cli, clock: FakeClock, saved: Path, case: str, content: str, words: str
) -> None:
    saved.write_text(content)
    log = CallLog()

    result = run("up", "--env", "dev", "--plan", str(saved), edge=counting_edge(clock, log))

    assert result.exit_code == 2, result.output
    assert words in result.stderr and str(saved) in result.stderr
    assert log.calls == []


def test_a_plan_for_another_env_is_refused(run: Cli, saved: Path) -> None:
    assert run("plan", "--env", "dev", "--save", str(saved)).exit_code == 0

    result = run("up", "--env", "prod", "--plan", str(saved))

    assert result.exit_code == 2, result.output
    assert "is a plan for env dev (stack disa-dev" in result.stderr
    assert "not for env prod" in result.stderr


def test_a_saved_plan_holds_no_secret(run: Cli, saved: Path) -> None:
    root = run.project / "cft" / "disa-root-stack.yaml"
    token = "\n  ApiToken: {Type: String, NoEcho: true, Default: none}\nResources:"
    root.write_text(root.read_text().replace("\nResources:", token, 1))
    config = run.project / "config" / "dev.yaml"
    config.write_text(config.read_text() + "  ApiToken: s3cr3t-token-value\n")

    result = run("plan", "--env", "dev", "--save", str(saved))

    assert result.exit_code == 0, result.output
    text = saved.read_text()
    assert "s3cr3t-token-value" not in text
    assert json.loads(text)["parameters"]["ApiToken"] == "****"
    assert "s3cr3t-token-value" not in result.output


def test_the_file_only_names_things_the_change_set_itself_is_checked(
    run: Cli, tmp_path: Path, saved: Path
) -> None:
    # A plan edited to name another change set of the same stack (say, one a pull request's
    # planner made) is refused: what would run is compared with the reviewed plan.
    run("up", "--env", "dev")
    assert (
        run("plan", "--env", "dev", "--parameter", "MaxAttempts=4", "--save", str(saved)).exit_code
        == 0
    )
    other = tmp_path / "other.json"
    assert (
        run("plan", "--env", "dev", "--parameter", "MaxAttempts=9", "--save", str(other)).exit_code
        == 0
    )
    saved.write_text(
        saved.read_text().replace(planned_change_set(saved), planned_change_set(other))
    )

    result = run("up", "--env", "dev", "--parameter", "MaxAttempts=4", "--plan", str(saved))

    assert result.exit_code == 3, result.output
    assert "passes other parameter values (MaxAttempts)" in result.stderr
    assert stack_parameters()["MaxAttempts"] == "3"


def test_a_first_create_someone_else_completed_is_refused(run: Cli, saved: Path) -> None:
    assert run("plan", "--env", "dev", "--save", str(saved)).exit_code == 0
    assert run("up", "--env", "dev").exit_code == 0  # joins the stack in review, creates it

    result = run("up", "--env", "dev", "--plan", str(saved))

    assert result.exit_code == 3, result.output
    assert "is stale: disa-dev is now CREATE_COMPLETE" in result.stderr


class InterruptAt(CallLog):
    """Ctrl-C at the first call of ``operation`` (through botocore's before-call hook)."""

    def __init__(self, operation: str) -> None:
        super().__init__()
        self.operation = operation

    def record(self, service: str, operation: str) -> None:
        super().record(service, operation)
        if operation == self.operation:
            raise KeyboardInterrupt


def test_ctrl_c_while_a_saved_plan_is_checked_keeps_the_reviewed_change_set(
    run: Cli, clock: FakeClock, saved: Path
) -> None:
    run("up", "--env", "dev")
    assert run("plan", "--env", "dev", "--parameter", "MaxAttempts=4",
               "--save", str(saved)).exit_code == 0  # fmt: skip
    change_set = planned_change_set(saved)
    log = InterruptAt("DescribeChangeSet")

    result = run("up", "--env", "dev", "--parameter", "MaxAttempts=4", "--plan", str(saved),
                 "--output", "json", edge=counting_edge(clock, log))  # fmt: skip

    assert result.exit_code == 130, result.output
    lines = result.stderr.splitlines()
    assert "interrupted (Ctrl-C): disa-deploy stopped before executing anything in " \
        "CloudFormation" in lines  # fmt: skip
    assert f"kept the reviewed change set {change_set}: nothing was executed, run the same " \
        "`up --plan` again" in lines  # fmt: skip
    assert "carries on" not in result.stderr
    assert log.count("ExecuteChangeSet") == 0 and log.count("DeleteChangeSet") == 0
    kept = cloudformation().describe_change_set(ChangeSetName=change_set)
    assert (kept["Status"], kept["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
