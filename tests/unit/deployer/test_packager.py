"""Packaging plans (pure): content-addressed keys, children first, exact change propagation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deployer.artifacts.packager import ArtifactKind, package_template
from deployer.cfn.template import load_template
from deployer.errors import ConfigError

FIXTURE = Path(__file__).parents[2] / "functional" / "deployer" / "fixtures" / "project"


def url_for(key: str) -> str:
    return f"https://bucket.s3.us-east-1.amazonaws.com/{key}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "p")
    return tmp_path / "p"


def keys(project: Path) -> dict[str, str]:
    packaged = package_template(project / "cft" / "disa-root-stack.yaml", project, url_for)
    return {a.name: a.key for a in packaged.artifacts}


def test_every_local_path_is_rewritten_to_a_content_addressed_key(project: Path) -> None:
    packaged = package_template(project / "cft" / "disa-root-stack.yaml", project, url_for)

    names = [a.name for a in packaged.artifacts]
    assert names.index("function-stack.yaml") > names.index("disa_process.zip")
    assert names.index("function-stack.yaml") > names.index("state-machine.json")
    kinds = {a.name: a.kind for a in packaged.artifacts}
    assert kinds["disa_retry.zip"] is ArtifactKind.ZIP
    assert kinds["state-machine.json"] is ArtifactKind.DEFINITION
    root = load_template(packaged.body)
    url = root["Resources"]["FunctionStack"]["Properties"]["TemplateURL"]
    function_stack = next(a for a in packaged.artifacts if a.name == "function-stack.yaml")
    assert url == url_for(function_stack.key)
    nested = load_template(function_stack.body.decode())
    key = nested["Resources"]["ProcessFunction"]["Properties"]["Code"]["S3Key"]
    assert key.startswith("artifacts/") and key.endswith(".zip")
    sm_key = nested["Resources"]["StateMachine"]["Properties"]["DefinitionS3Location"]["Key"]
    assert sm_key.endswith(".json")


def test_packaging_twice_gives_the_same_keys_and_root_text(project: Path) -> None:
    root = project / "cft" / "disa-root-stack.yaml"

    assert package_template(root, project, url_for) == package_template(root, project, url_for)


def test_changing_one_handler_changes_that_zip_and_the_templates_above_it_only(
    project: Path,
) -> None:
    before = keys(project)
    (project / "code" / "python" / "disa_retry" / "handler.py").write_text("# v2\n")
    after = keys(project)

    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["disa_retry.zip", "function-stack.yaml"]


def test_a_shared_code_change_changes_every_function_zip(project: Path) -> None:
    before = keys(project)
    (project / "code" / "python" / "disa_common" / "__init__.py").write_text("# v2\n")
    after = keys(project)

    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["disa_process.zip", "disa_retry.zip", "function-stack.yaml"]


def test_a_missing_local_path_names_the_template_and_property(project: Path) -> None:
    shutil.rmtree(project / "code" / "python" / "disa_retry")

    with pytest.raises(ConfigError) as caught:
        keys(project)

    message = caught.value.message
    assert "cft/nested-stacks/function-stack.yaml" in message
    assert "Resources.RetryFunction.Properties.Code.S3Key" in message


def test_remote_locations_are_left_alone(project: Path) -> None:
    root = project / "cft" / "disa-root-stack.yaml"
    text = root.read_text().replace(
        "nested-stacks/storage-stack.yaml", "https://example.s3.amazonaws.com/storage.yaml"
    )
    root.write_text(text)

    packaged = package_template(root, project, url_for)

    body = load_template(packaged.body)
    storage = body["Resources"]["StorageStack"]["Properties"]["TemplateURL"]
    assert storage == "https://example.s3.amazonaws.com/storage.yaml"
    assert "storage-stack.yaml" not in [a.name for a in packaged.artifacts]
