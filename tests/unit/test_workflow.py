"""The pipeline users copy (.github/workflows/deploy.yml) and its plan summary renderer.

actionlint (in .ci/run) checks the workflow is valid; these tests check it does what the
README says: pull requests plan dev and prod under the planner roles, main deploys dev with
a smoke test, then prod behind the prod environment's approval, and only jobs that assume a
role can ask for an OIDC token.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from deployer.cli import cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW: dict[Any, Any] = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
JOBS: dict[str, Any] = WORKFLOW["jobs"]
ROLE_JOBS = {"plan", "deploy-dev", "plan-prod", "deploy-prod"}


def commands(job: str) -> list[str]:
    return [
        line.strip()
        for step in JOBS[job]["steps"]
        for line in step.get("run", "").splitlines()
        if line.strip().startswith("disa-deploy ")
    ]


def test_triggers_are_pull_requests_and_pushes_to_main() -> None:
    triggers = WORKFLOW.get("on", WORKFLOW.get(True))  # YAML 1.1 reads the key `on` as True
    assert triggers == {"pull_request": None, "push": {"branches": ["main"]}}


def test_only_jobs_that_assume_a_role_may_ask_for_an_oidc_token() -> None:
    assert WORKFLOW["permissions"] == {"contents": "read"}
    for name, job in JOBS.items():
        token = job.get("permissions", {}).get("id-token")
        assert (token == "write") is (name in ROLE_JOBS), name
        for step in job["steps"]:
            role = step.get("with", {}).get("role-to-assume")
            if role:
                assert name in ROLE_JOBS and "secrets." not in role and "vars" in role


def test_pull_requests_plan_dev_and_prod_after_the_tests_and_never_from_forks() -> None:
    plan = JOBS["plan"]
    assert plan["needs"] == "test"
    assert "head.repo.full_name == github.repository" in plan["if"]
    assert {row["env"] for row in plan["strategy"]["matrix"]["include"]} == {"dev", "prod"}
    assert commands("plan") == [
        'disa-deploy plan --env "$DISA_ENV" --output json > "plan-$DISA_ENV.json"'
    ]
    assert "environment" not in plan  # a pull request never gets a deploy environment's role


def test_main_deploys_dev_with_a_smoke_test_then_prod_behind_its_environment() -> None:
    assert JOBS["deploy-dev"]["environment"] == "dev"
    assert JOBS["deploy-dev"]["needs"] == "test"
    assert commands("deploy-dev") == [
        "disa-deploy up --env dev --smoke --output json > up-dev.json"
    ]
    assert JOBS["plan-prod"]["needs"] == "deploy-dev"
    assert "environment" not in JOBS["plan-prod"]
    assert JOBS["deploy-prod"]["needs"] == "plan-prod"
    assert JOBS["deploy-prod"]["environment"] == "prod"
    # No smoke message in prod: it would reach the real subscribers.
    # Prod executes exactly the plan its reviewers read (plan-prod's artifact).
    assert commands("deploy-prod") == [
        "disa-deploy up --env prod --plan plan-prod.json --output json > up-prod.json"
    ]
    assert "disa-deploy plan --env prod --save plan-prod.json" in commands("plan-prod")[0]
    downloads = [s for s in JOBS["deploy-prod"]["steps"]
                 if str(s.get("uses", "")).startswith("actions/download-artifact")]  # fmt: skip
    assert [s["with"]["name"] for s in downloads] == ["plan-prod"]
    # Only a push to main starts the chain; plan-prod and deploy-prod run only after it.
    assert JOBS["deploy-dev"]["if"] == (
        "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    )


@pytest.mark.parametrize("job", sorted(ROLE_JOBS))
def test_every_command_in_the_workflow_is_accepted_by_the_cli(job: str) -> None:
    for line in commands(job):
        words = shlex.split(line.split(">")[0].replace("$DISA_ENV", "dev"))[1:]
        command = cli.commands[words[0]]  # type: ignore[attr-defined]
        with click.Context(cli) as parent:
            command.make_context(words[0], words[1:], parent=parent)


# --- the plan summary ------------------------------------------------------------------------

_SPEC = importlib.util.spec_from_file_location(
    "plan_summary", ROOT / ".github" / "scripts" / "plan_summary.py"
)
assert _SPEC and _SPEC.loader
plan_summary = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(plan_summary)


def write(tmp_path: Path, summary: dict[str, Any]) -> Path:
    path = tmp_path / "plan-dev.json"
    path.write_text(json.dumps(summary), encoding="utf-8")
    return path


def change(
    action: str, logical_id: str, kind: str, replacement: str = "", children: Any = ()
) -> dict[str, Any]:
    return {"action": action, "logical_id": logical_id, "type": kind,
            "replacement": replacement, "children": list(children)}  # fmt: skip


def test_the_summary_shows_the_change_tree_nested_with_replacements(tmp_path: Path) -> None:
    tree = [
        change("Modify", "LambdaStack", "AWS::CloudFormation::Stack", children=[
            change("Modify", "ProcessFunction", "AWS::Lambda::Function", "False"),
            change("Add", "Dashboard", "AWS::CloudWatch::Dashboard"),
        ]),
        change("Modify", "DynamoDbStack", "AWS::CloudFormation::Stack", children=[
            change("Modify", "MessagesTable", "AWS::DynamoDB::Table", "Conditional"),
        ]),
    ]  # fmt: skip
    summary = {"env": "dev", "exit_code": 0, "changed": True, "details": {"changes": tree},
               "counts": {"changes_modify": 2, "changes_add": 1, "uploaded": 3}}  # fmt: skip
    text = plan_summary.render_summary(write(tmp_path, summary))
    assert text.splitlines()[0] == "### disa-deploy plan --env dev"
    assert "Changes (add 1, modify 2):" in text
    assert "- `~` Modify `LambdaStack` (AWS::CloudFormation::Stack)" in text
    assert "  - `+` Add `Dashboard` (AWS::CloudWatch::Dashboard)" in text
    assert re.search(r"^  - `~` Modify `MessagesTable` .*\*\*replacement: Conditional\*\*$",
                     text, flags=re.M)  # fmt: skip
    assert "replacement: False" not in text


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        pytest.param(
            {"env": "dev", "exit_code": 0, "changed": False, "details": {}},
            "No changes",
            id="no-changes",
        ),  # fmt: skip
        pytest.param(
            {"env": "dev", "exit_code": 3, "error": "refusing to replace"},
            "Failed with exit code 3: refusing to replace",
            id="refused",
        ),  # fmt: skip
    ],
)
def test_the_summary_says_no_changes_or_why_the_plan_failed(
    tmp_path: Path, summary: dict[str, Any], expected: str
) -> None:
    assert expected in plan_summary.render_summary(write(tmp_path, summary))


def test_a_missing_summary_is_reported_not_fatal(tmp_path: Path) -> None:
    assert plan_summary.main([str(tmp_path / "plan-prod.json")]) == 0
    assert "No plan summary" in plan_summary.render_summary(tmp_path / "plan-prod.json")


def test_a_change_of_parameters_only_is_shown_never_no_changes(tmp_path: Path) -> None:
    # A parameter no resource uses: CloudFormation lists no resource change, the values differ.
    reaches = "disa-prod/LambdaStack: RetryFunction (AWS::Lambda::Function)"
    protection = {"name": "termination protection", "old": "off", "new": "on", "touches": []}
    parameter = {"name": "MaxAttempts", "old": "7", "new": "3", "touches": [reaches]}
    plan = {"action": "UPDATE", "note": "", "tags": [], "termination_protection": protection,
            "parameters": [parameter]}  # fmt: skip
    summary = {"env": "prod", "exit_code": 0, "changed": True,
               "details": {"changes": [], "plan": plan}}  # fmt: skip
    text = plan_summary.render_summary(write(tmp_path, summary))
    assert "No changes" not in text
    assert "Action: UPDATE" in text
    assert "- `MaxAttempts`: `7` -> `3`" in text
    assert f"  - reaches {reaches}" in text
    assert "Termination protection: off -> on" in text


def test_a_noop_plan_says_no_changes(tmp_path: Path) -> None:
    plan = {"action": "NOOP", "parameters": [], "tags": [], "termination_protection": None}
    summary = {"env": "prod", "exit_code": 0, "changed": False,
               "details": {"changes": [], "plan": plan}}  # fmt: skip
    assert "No changes" in plan_summary.render_summary(write(tmp_path, summary))
