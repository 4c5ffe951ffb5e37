"""package / up / plan / status / destroy end to end against moto (in process)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from deploy_harness import HANDLER_V2, MOTO_BUCKET_CREATE, CallLog, Cli, FakeClock, counting_edge

from deployer.wiring import Edge

pytestmark = pytest.mark.usefixtures("aws")


def test_first_package_creates_the_store_and_uploads_everything_encrypted(
    counted: Cli, log: CallLog, project: Path
) -> None:
    result = counted("package", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0].startswith(
        "disa-deploy package: env dev, account 123456789012"
    )
    assert "creating artifact store stack disa-dev-artifacts" in result.stderr
    assert "5 uploaded" in result.stdout
    assert log.count("PutObject") == 5
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = "disa-dev-artifacts-123456789012"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    head = s3.head_object(Bucket=bucket, Key=keys[0])
    assert head["ServerSideEncryption"] == "aws:kms"
    manifest = json.loads((project / ".disa" / "dev" / "manifest.json").read_text())
    assert {a["name"] for a in manifest["artifacts"]} >= {"disa_process.zip", "disa_retry.zip"}
    assert (project / ".disa" / "dev" / "build" / "disa_process.zip").is_file()
    assert (project / ".disa" / "dev" / "packaged-root-stack.yaml").is_file()


def test_second_package_uploads_nothing(counted: Cli, log: CallLog) -> None:
    counted("package", "--env", "dev")
    log.clear()

    result = counted("package", "--env", "dev")

    assert result.exit_code == 0
    assert log.count("PutObject") == 0 and log.count("CreateStack") == 0
    assert "0 uploaded, 5 skipped" in result.stdout
    assert "package: 0 uploaded (0 bytes), 5 already present" in result.stderr
    assert "skipped" not in result.stderr  # counted once, not listed per artifact


def test_a_partial_package_lists_uploads_and_the_manifest_keeps_the_skipped(
    counted: Cli, project: Path
) -> None:
    counted("package", "--env", "dev")
    (project / "code" / "python" / "disa_retry" / "handler.py").write_text(HANDLER_V2)

    result = counted("package", "--env", "dev", "--output", "json")

    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert [line.split()[1] for line in progress] == ["disa_retry.zip", "function-stack.yaml"]
    assert "2 uploaded" in result.stderr and "3 already present" in result.stderr
    assert json.loads(result.stdout)["counts"]["skipped"] == 3
    manifest = json.loads((project / ".disa" / "dev" / "manifest.json").read_text())
    uploaded = {a["name"]: a["uploaded"] for a in manifest["artifacts"]}
    assert uploaded["disa_retry.zip"] is True and uploaded["disa_process.zip"] is False


def test_changing_one_handler_uploads_that_zip_and_the_templates_above_it(
    counted: Cli, log: CallLog, project: Path
) -> None:
    counted("package", "--env", "dev")
    (project / "code" / "python" / "disa_retry" / "handler.py").write_text(HANDLER_V2)
    log.clear()

    result = counted("package", "--env", "dev")

    uploaded = sorted(
        line.split()[1] for line in result.stderr.splitlines() if "  uploaded " in line
    )
    assert uploaded == ["disa_retry.zip", "function-stack.yaml"]
    assert log.count("PutObject") == 2


def test_a_bucket_that_is_not_private_is_refused_before_any_upload(
    run: Cli, log: CallLog, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.s3 import models as s3_models

    # moto's own bucket model, which skips PublicAccessBlockConfiguration
    monkeypatch.setattr(s3_models.FakeBucket, "create_from_cloudformation_json", MOTO_BUCKET_CREATE)

    result = run("package", "--env", "dev", edge=counting_edge(clock, log))

    assert result.exit_code == 3
    assert "does not block all public access" in result.stderr
    assert log.count("PutObject") == 0


def test_wrong_account_is_refused_before_any_write(
    run: Cli, log: CallLog, clock: FakeClock
) -> None:
    edge = counting_edge(clock, log)

    result = run("up", "--env", "other", edge=edge)

    assert result.exit_code == 3
    assert "credentials are for account 123456789012" in result.stderr
    assert "210987654321" in result.stderr
    assert [op for _, op in log.calls] == ["GetCallerIdentity"]


def test_up_creates_then_a_second_up_is_a_no_op_without_a_change_set(
    counted: Cli, log: CallLog
) -> None:
    first = counted("up", "--env", "dev")
    assert first.exit_code == 0, first.output
    assert "Change set for disa-dev (CREATE)" in first.stdout
    assert first.stdout.splitlines()[-1] == (
        'next: disa-deploy send "hello" --env dev | disa-deploy status --env dev'
        " | disa-deploy destroy --env dev --yes"
    )
    assert "Add     StorageStack (AWS::CloudFormation::Stack)" in first.stdout
    assert log.count("CreateChangeSet") == 1 and log.count("ExecuteChangeSet") == 1
    log.clear()

    second = counted("up", "--env", "dev", "--output", "json")

    assert second.exit_code == 0, second.output
    assert log.count("CreateChangeSet") == 0 and log.count("PutObject") == 0
    summary = json.loads(second.stdout)
    assert summary["changed"] is False and summary["exit_code"] == 0
    assert "no changes" in second.stderr


def test_a_parameter_change_is_deployed_through_a_change_set(counted: Cli, log: CallLog) -> None:
    counted("up", "--env", "dev")
    log.clear()

    result = counted("up", "--env", "dev", "--parameter", "MaxAttempts=4", "--output", "json")

    assert result.exit_code == 0, result.output
    assert log.count("CreateChangeSet") == 1
    assert json.loads(result.stdout)["changed"] is True
    stack = boto3.client("cloudformation", region_name="us-east-1").describe_stacks(
        StackName="disa-dev"
    )["Stacks"][0]
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert params["MaxAttempts"] == "4"
    tags = {t["Key"]: t["Value"] for t in stack["Tags"]}
    assert tags["disa:managed-by"] == "disa-deploy" and tags["disa:env"] == "dev"


def test_plan_shows_the_change_set_then_deletes_it_and_never_executes(
    counted: Cli, log: CallLog
) -> None:
    result = counted("plan", "--env", "dev", "--output", "json")

    assert result.exit_code == 0, result.output
    assert log.count("ExecuteChangeSet") == 0 and log.count("DeleteChangeSet") == 1
    summary = json.loads(result.stdout)
    assert summary["details"]["plan"]["action"] == "CREATE"
    assert {c["logical_id"] for c in summary["details"]["changes"]} == {
        "StorageStack",
        "FunctionStack",
    }
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    names = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
    assert "disa-dev" not in names  # the empty REVIEW_IN_PROGRESS stack is gone too


def test_the_way_back_to_the_env_files_value_is_deployed_not_called_no_changes(
    counted: Cli, log: CallLog
) -> None:
    counted("up", "--env", "dev")
    counted("up", "--env", "dev", "--parameter", "MaxAttempts=7")
    log.clear()

    result = counted("up", "--env", "dev", "--output", "json")

    assert result.exit_code == 0, result.output
    assert "no changes" not in result.stderr
    assert log.count("ExecuteChangeSet") == 1
    assert json.loads(result.stdout)["details"]["plan"]["parameters"] == [
        {"name": "MaxAttempts", "old": "7", "new": "3", "touches": []}
    ]
    stack = boto3.client("cloudformation", region_name="us-east-1").describe_stacks(
        StackName="disa-dev"
    )["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}[
        "MaxAttempts"
    ] == "3"


def test_status_shows_stacks_outputs_and_item_counts(run: Cli) -> None:
    run("up", "--env", "dev")
    table = boto3.client("dynamodb", region_name="us-east-1")
    for key, status in [("a", "Successful"), ("b", "Successful"), ("c", "Failure"), ("d", None)]:
        item = {"id": {"S": key}, "message": {"S": "hi"}}
        if status:
            item["status"] = {"S": status}
        table.put_item(TableName="disa-dev-messages", Item=item)

    result = run("status", "--env", "dev", "--output", "json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"(new)": 1, "Failure": 1, "Successful": 2}
    assert summary["details"]["stacks"]["disa-dev/StorageStack"] == "CREATE_COMPLETE"
    assert "Items by status" in result.stderr


def test_destroy_without_yes_on_a_non_terminal_is_refused(run: Cli) -> None:
    run("up", "--env", "dev")

    result = run("destroy", "--env", "dev")

    assert result.exit_code == 3
    assert "refusing to destroy without --yes" in result.stderr
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    assert (
        cfn.describe_stacks(StackName="disa-dev")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    )


def test_destroy_of_a_protected_env_needs_the_extra_flag(run: Cli) -> None:
    up = run("up", "--env", "prod")
    assert 'next: disa-deploy send "hello" --env prod | disa-deploy status --env prod\n' in (
        up.stdout
    )  # a protected env is not offered a destroy

    refused = run("destroy", "--env", "prod", "--yes")
    assert refused.exit_code == 3 and "--force-protected" in refused.stderr

    done = run("destroy", "--env", "prod", "--yes", "--force-protected")
    assert done.exit_code == 0, done.output


def test_destroy_with_purge_deletes_stacks_and_every_artifact_version(run: Cli) -> None:
    run("up", "--env", "dev")

    result = run("destroy", "--env", "dev", "--yes", "--purge-artifacts", "--output", "json")

    assert result.exit_code == 0, result.output
    assert "disa-dev/StorageStack" in result.stderr  # listed before deleting
    summary = json.loads(result.stdout)
    assert summary["counts"]["stacks_deleted"] == 2 and summary["counts"]["objects_purged"] == 5
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"]] == []


def test_destroy_when_nothing_is_deployed_says_so(run: Cli) -> None:
    result = run("destroy", "--env", "dev", "--yes")

    assert result.exit_code == 0
    assert "nothing to destroy" in result.stdout


def test_status_does_not_scan_a_table_larger_than_the_count_limit(run: Cli) -> None:
    run("up", "--env", "dev")
    table = boto3.client("dynamodb", region_name="us-east-1")
    for key in "abcde":
        table.put_item(TableName="disa-dev-messages", Item={"id": {"S": key}})

    limited = run("status", "--env", "dev", "--count-limit", "3", "--output", "json")
    unlimited = run("status", "--env", "dev", "--count-limit", "0", "--output", "json")

    assert limited.exit_code == 0, limited.output
    assert json.loads(limited.stdout)["counts"] == {}
    assert "Items: about 5" in limited.stderr and "--count-limit 0" in limited.stderr
    assert json.loads(unlimited.stdout)["counts"] == {"(new)": 5}


@pytest.mark.parametrize(
    "answer, deleted",
    [
        pytest.param(False, False, id="declined-deletes-nothing"),
        pytest.param(True, True, id="confirmed-deletes"),
    ],
)
def test_destroy_on_a_terminal_asks_first(
    project: Path, clock: FakeClock, answer: bool, deleted: bool
) -> None:
    prompts: list[str] = []

    def terminal() -> Callable[[str], bool]:
        return lambda prompt: prompts.append(prompt) or answer

    run = Cli(project, Edge(clock=clock, sleep=clock.sleep, confirm=terminal), env={"CI": ""})
    run("up", "--env", "dev")

    result = run("destroy", "--env", "dev")

    assert prompts == ["Delete these stacks of env dev?"]
    assert "disa-dev" in result.stdout + result.stderr  # what will be deleted is shown first
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    names = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
    assert ("disa-dev" not in names) is deleted
    assert result.exit_code == (0 if deleted else 3), result.output
