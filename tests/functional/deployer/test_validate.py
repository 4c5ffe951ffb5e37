"""``validate`` and the gate: one broken fixture per kind of finding, each refused with exit 2,
naming the file and place, before any AWS call (``up`` on a counting edge sees no call).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from deploy_harness import CallLog, Cli, FakeClock, counting_edge

from deployer.wiring import Edge

pytestmark = pytest.mark.usefixtures("aws")

Breakage = Callable[[Path], None]
STORAGE, FUNCTIONS = "cft/nested-stacks/storage-stack.yaml", "cft/nested-stacks/function-stack.yaml"
ASL, ROOT = "state-machine/state-machine.json", "cft/disa-root-stack.yaml"
RETRY, PROCESS = "code/python/disa_retry/handler.py", "code/python/disa_process/handler.py"
COMMON = "code/python/disa_common/__init__.py"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def unknown_property(project: Path) -> None:
    edit(
        project / "cft/nested-stacks/storage-stack.yaml",
        "BillingMode:",
        "Colour: red\n      BillingMode:",
    )


def bad_yaml(project: Path) -> None:
    edit(project / STORAGE, "{AttributeName: id, AttributeType: S}", "{AttributeName: id")


def handler_syntax_error(project: Path) -> None:
    (project / RETRY).write_text("def lambda_handler(event, context):\n    return {'retried': 0\n")


def handler_imports_what_lambda_lacks(project: Path) -> None:
    # PyYAML is installed here (the tool needs it), not in Lambda's Python runtime.
    edit(
        project / "code/python/disa_process/handler.py",
        "def lambda_handler",
        "import yaml\n\n\ndef lambda_handler",
    )


def handler_function_missing(project: Path) -> None:
    edit(project / RETRY, "def lambda_handler", "def handle")


def handler_module_missing(project: Path) -> None:
    edit(project / FUNCTIONS, "disa_retry.handler.lambda_handler", "disa_retry.main.lambda_handler")


def asl_not_json(project: Path) -> None:
    (project / "state-machine/state-machine.json").write_text(
        '{"StartAt": "Process",\n "States": }\n'
    )


def asl_invalid_state(project: Path) -> None:
    edit(project / ASL, '"Type": "Task"', '"Type": "Taskk"')


def nested_template_missing(project: Path) -> None:
    (project / STORAGE).unlink()


def nested_cycle(project: Path) -> None:
    loop = "  Loop:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n"
    edit(
        project / STORAGE,
        "Resources:\n",
        f"Resources:\n{loop}      TemplateURL: ../disa-root-stack.yaml\n",
    )


def function_folder_missing(project: Path) -> None:
    shutil.rmtree(project / "code/python/disa_retry")


def asl_missing(project: Path) -> None:
    (project / ASL).unlink()


def common_package_broken(project: Path) -> None:
    (project / COMMON).write_text("x = (\n")


PLACE = r"\d+:\d+"

# (case, breakage, file, line[:column] pattern, rule, message pattern)
CASES = [
    ("unknown property", unknown_property, STORAGE, PLACE, "E3002", "'Colour'"),
    ("bad YAML", bad_yaml, STORAGE, PLACE, "E0000", ""),
    ("handler does not compile", handler_syntax_error, RETRY, r"2:\d+", "DISA-COMPILE",
     "SyntaxError"),
    ("handler imports a package Lambda lacks", handler_imports_what_lambda_lacks, PROCESS, "1",
     "DISA-IMPORT", "No module named 'yaml'"),
    ("handler function missing", handler_function_missing, FUNCTIONS, PLACE, "DISA-IMPORT",
     "has no function lambda_handler"),
    ("handler module missing", handler_module_missing, FUNCTIONS, PLACE, "DISA-HANDLER",
     r"disa_retry\.main is not in"),
    ("ASL not JSON", asl_not_json, ASL, r"2:\d+", "E0000", "not valid JSON"),
    ("ASL state type", asl_invalid_state, ASL, r"1:\d+", "E3601", "'Taskk'"),
    ("nested template missing", nested_template_missing, ROOT, PLACE, "DISA-TREE",
     r"storage-stack\.yaml does not exist"),
    ("shared package broken", common_package_broken, COMMON, r"1:\d+", "DISA-COMPILE", ""),
    ("nested stacks form a cycle", nested_cycle, STORAGE, PLACE, "DISA-TREE",
     "nested stacks form a cycle"),
    ("function folder missing", function_folder_missing, FUNCTIONS, PLACE, "DISA-TREE",
     r"code/python/disa_retry is not a function package folder"),
    ("ASL file missing", asl_missing, FUNCTIONS, PLACE, "DISA-TREE",
     r"state-machine\.json does not"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "breakage", "file", "place", "rule", "message"), CASES, ids=[c[0] for c in CASES]
)
def test_a_broken_tree_is_refused_before_any_aws_call(
    project: Path, clock: FakeClock, run: Cli, case: str, breakage: Breakage, file: str,
    place: str, rule: str, message: str,
) -> None:  # fmt: skip
    finding = rf"^{re.escape(file)}:{place}: error {rule} .*{message}"
    breakage(project)
    log = CallLog()

    result = run("up", "--env", "dev", edge=counting_edge(clock, log))

    assert result.exit_code == 2, result.output
    assert log.calls == []
    assert re.search(finding, result.stdout, flags=re.M), result.stdout
    assert "Mark object" not in result.output and "bug" not in result.output
    assert "error: validate found" in result.stderr


@pytest.mark.parametrize("command", ["package", "plan", "validate"])
def test_every_gated_command_refuses_the_same_way(
    project: Path, clock: FakeClock, run: Cli, command: str
) -> None:
    unknown_property(project)
    log = CallLog()

    result = run(command, "--env", "dev", edge=counting_edge(clock, log))

    assert result.exit_code == 2 and log.calls == []
    assert "error E3002" in result.stdout


def test_every_finding_is_listed_and_json_gives_them_as_a_list(project: Path, run: Cli) -> None:
    for breakage in (unknown_property, handler_syntax_error, asl_invalid_state):
        breakage(project)

    result = run("validate", "--env", "dev", "--output", "json")

    summary = json.loads(result.stdout)  # one document, nothing else on stdout
    rules = sorted(f["rule"] for f in summary["details"]["findings"])
    assert (summary["exit_code"], result.exit_code) == (2, 2)
    assert rules == ["DISA-COMPILE", "E3002", "E3601"]
    assert summary["counts"]["errors"] == 3
    first = summary["details"]["findings"][0]
    assert set(first) == {"severity", "rule", "file", "line", "column", "message"}


def test_a_templates_own_ignore_checks_silences_a_rule(project: Path, run: Cli) -> None:
    unknown_property(project)
    ignore = "Metadata:\n  cfn-lint:\n    config:\n      ignore_checks: [E3002]\n"
    edit(project / STORAGE, "Parameters:", ignore + "Parameters:")

    result = run("validate", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert "validate: ok" in result.stdout


def test_warnings_are_listed_and_do_not_fail(project: Path, run: Cli) -> None:
    edit(project / STORAGE, "Resources:",
         "Conditions:\n  Never: !Equals [a, b]\nResources:")  # fmt: skip

    result = run("validate", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert re.search(r"storage-stack\.yaml:\d+:\d+: warning W8001 ", result.stdout)
    assert "validate: ok, 2 warnings" in result.stdout


def test_the_gate_reuses_a_clean_result_until_a_checked_file_changes(
    project: Path, clock: FakeClock, run: Cli
) -> None:
    first = run("package", "--env", "dev")
    again = run("package", "--env", "dev")
    handler_syntax_error(project)
    log = CallLog()
    changed = run("package", "--env", "dev", edge=counting_edge(clock, log))

    assert first.exit_code == 0 and "validate: ok" in first.stderr
    assert "unchanged since the last check" not in first.stderr
    assert again.exit_code == 0 and "unchanged since the last check" in again.stderr
    assert changed.exit_code == 2 and log.calls == []
    assert "DISA-COMPILE" in changed.stdout


@pytest.mark.parametrize("distribution", ["cfn-lint", "cfn-lint-serverless"])
def test_a_new_version_of_a_rule_set_is_checked_again(
    project: Path, run: Cli, monkeypatch: pytest.MonkeyPatch, distribution: str
) -> None:
    from deployer.usecases import validate

    installed = validate._version
    assert run("package", "--env", "dev").exit_code == 0
    monkeypatch.setattr(validate, "_version",
                        lambda d: "99.0" if d == distribution else installed(d))  # fmt: skip

    result = run("package", "--env", "dev")

    assert result.exit_code == 0 and "validate: ok" in result.stderr
    assert "unchanged since the last check" not in result.stderr


def test_a_changed_value_is_checked_again(project: Path, run: Cli) -> None:
    assert run("package", "--env", "dev").exit_code == 0

    result = run("package", "--env", "dev", "--parameter", "MaxAttempts=0")

    assert result.exit_code == 2
    assert "command line: error DISA-PARAM --parameter MaxAttempts '0' is below MinValue 1" in (
        result.stdout
    )


class RecordingEmulator:
    """Stands in for deployer.local: records whether anything asked for the emulator."""

    def __init__(self) -> None:
        self.started: list[int] = []

    def ensure_emulator(self, state_dir: Path, port: int, log: Callable[[str], None]) -> str:
        self.started.append(port)
        return "http://127.0.0.1:9"

    def stop_emulator(self, state_dir: Path) -> bool:
        return False

    def emulator_status(self, state_dir: Path) -> str | None:
        return None


def test_a_broken_tree_does_not_even_start_the_emulator(project: Path, clock: FakeClock) -> None:
    unknown_property(project)
    emulator = RecordingEmulator()
    run = Cli(project, Edge(emulator=emulator, clock=clock, sleep=clock.sleep), env={"CI": ""})

    result = run("up", "--env", "local")

    assert result.exit_code == 2 and "error E3002" in result.stdout
    assert emulator.started == []


def test_package_itself_refuses_a_broken_tree_whoever_calls_it(project: Path) -> None:
    from deployer.config.environment import load_env_config
    from deployer.config.project import Project
    from deployer.findings import InvalidTreeError
    from deployer.ui.output import UI
    from deployer.usecases.package import package
    from deployer.wiring import connect

    handler_syntax_error(project)
    log = CallLog()
    config = load_env_config(project / "config", "dev")
    edge = counting_edge(FakeClock(), log)
    rt = connect(config, Project(project), UI(io.StringIO(), io.StringIO()), edge)
    assert rt is not None

    with pytest.raises(InvalidTreeError) as refused:
        package(rt)

    assert log.calls == []
    assert [f.rule for f in refused.value.findings] == ["DISA-COMPILE"]


def declare(project: Path, template: str, parameter: str, declaration: str) -> None:
    edit(project / template, "Parameters:\n", f"Parameters:\n  {parameter}: {declaration}\n")


def test_a_value_is_checked_against_the_nested_template_it_reaches(project: Path, run: Cli) -> None:
    declare(project, STORAGE, "Env", '{Type: String, AllowedPattern: "^[a-z]+$"}')
    edit(project / ROOT, "        Prefix: !Sub \"${Project}-${Env}\"\n",
         "        Prefix: !Sub \"${Project}-${Env}\"\n        Env: !Ref Env\n")  # fmt: skip
    (project / "config" / "dev2.yaml").write_text('region: us-east-1\naccount_id: "123456789012"\n')

    result = run("validate", "--env", "dev2")

    assert result.exit_code == 2, result.output
    assert re.search(r"^config/dev2\.yaml: error DISA-PARAM env name 'dev2' does not match "
                     rf"AllowedPattern \^\[a-z\]\+\$ \(parameter Env of {STORAGE}:\d+\)",
                     result.stdout, flags=re.M), result.stdout  # fmt: skip


def test_a_literal_passed_to_a_nested_stack_is_checked_where_it_is_written(
    project: Path, run: Cli
) -> None:
    declare(project, STORAGE, "Colour", "{Type: String, AllowedValues: [red]}")
    edit(project / ROOT, "        Prefix: !Sub \"${Project}-${Env}\"\n",
         "        Prefix: !Sub \"${Project}-${Env}\"\n        Colour: blue\n")  # fmt: skip

    result = run("validate", "--env", "dev")

    assert result.exit_code == 2, result.output
    assert re.search(rf"^{ROOT}:\d+:\d+: error DISA-PARAM Colour 'blue' is not one of the "
                     "AllowedValues red", result.stdout, flags=re.M), result.stdout  # fmt: skip


def test_the_names_are_checked_against_the_artifact_store_template_too(
    project: Path, run: Cli
) -> None:
    store = "cft/artifact-store-stack.yaml"
    edit(project / store, "  Env: {Type: String}", "  Env: {Type: String, MaxLength: 2}")

    result = run("validate", "--env", "dev")

    assert result.exit_code == 2, result.output
    assert f"longer than MaxLength 2 (parameter Env of {store}:" in result.stdout


def test_a_parameter_without_default_must_be_set_by_the_env(project: Path, run: Cli) -> None:
    declare(project, ROOT, "Owner", "{Type: String}")

    result = run("validate", "--env", "dev")

    assert result.exit_code == 2, result.output
    assert re.search(rf"^{ROOT}:\d+: error DISA-PARAM parameter Owner has no Default and env dev "
                     r"does not set it \(add parameters\.Owner to config/dev\.yaml\)",
                     result.stdout, flags=re.M), result.stdout  # fmt: skip


def test_each_function_imports_from_its_own_package(project: Path, run: Cli) -> None:
    # A second function in another folder, with its own disa_common that fails on import:
    # found only if the first function's disa_common is forgotten before the second imports.
    other = project / "other" / "python"
    (other / "disa_other").mkdir(parents=True)
    (other / "disa_other" / "__init__.py").write_text("")
    (other / "disa_other" / "handler.py").write_text(
        "import disa_common\n\n\ndef lambda_handler(event, context):\n    return {}\n"
    )
    (other / "disa_common").mkdir()
    (other / "disa_common" / "__init__.py").write_text("raise RuntimeError('second common')\n")
    (project / "code/python/disa_process/handler.py").write_text(
        "import disa_common\n\n\ndef lambda_handler(event, context):\n    return {}\n"
    )
    function = (
        (project / FUNCTIONS).read_text().split("  RetryFunction:")[1].split("  StateMachine:")[0]
    )
    function = function.replace("disa_retry.handler", "disa_other.handler")
    function = function.replace("../../code/python/disa_retry", "../../other/python/disa_other")
    edit(project / FUNCTIONS, "  StateMachine:", "  OtherFunction:" + function + "  StateMachine:")

    result = run("validate", "--env", "dev")

    assert result.exit_code == 2, result.output
    found = r"^other/python/disa_common/__init__\.py:1: error DISA-IMPORT OtherFunction .*second"
    assert re.search(found, result.stdout, flags=re.M), result.stdout
