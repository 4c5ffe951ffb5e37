"""Patch: change sets see what a stack was given; a stack remembers it; AWS's bookkeeping.

What moto lacks:
- a change set lists only resources whose template text changed: a parameter-only update
  (``up --parameter MaxAttempts=7``) comes back with no changes at all;
- whether anything changed is judged against the parameters the stack was *created* with
  (``Stack.parameters`` is never updated by ExecuteChangeSet), so after one parameter update
  the next change set back to the old value is "The submitted information didn't contain
  changes", while the stack and its resources still hold the new value; tags are ignored;
- ExecuteChangeSet keeps the stack's creation tags and sets no ``LastUpdatedTime``;
- executing a change set leaves the stack's other change sets executable (AWS deletes them:
  they no longer apply to the updated stack);
- ``GetTemplate`` ignores ``ChangeSetName`` and returns the stack's template, and
  ``DescribeChangeSet`` answers no ``Tags``;
- a CREATE change set for a name that already has a live stack makes a second stack of that
  name (AWS adds it to a ``REVIEW_IN_PROGRESS`` stack and refuses any other with
  ``AlreadyExistsException``);
- CreateChangeSet with the stack's own template and parameters fails as UpdateStack does
  ("No updates are to be performed.") instead of making a change set that says so.

What the patch does: an UPDATE change set is "no changes" only when the template, every
parameter value the stack holds (its resource map's, template defaults applied, compared as
text) and the given tags equal what it would deploy; it lists ``Modify`` for every
unchanged resource that refers (``Ref`` or ``${..}`` in ``Fn::Sub``) to a parameter whose
value changes. A successful execution records the tags and ``LastUpdatedTime`` on the stack
and deletes the stack's other change sets. ``GetTemplate`` with ``ChangeSetName`` answers
the change set's template, ``DescribeChangeSet`` its tags. A CREATE change set joins a
``REVIEW_IN_PROGRESS`` stack and is refused for any other live one. CreateChangeSet skips
UpdateStack's "No updates" check (UpdateStack keeps it). Requests that give no tags keep
the stack's tags (moto cannot tell "no tags" from "none").
"""

from __future__ import annotations

import re
import threading
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import AlreadyExistsException
from moto.cloudformation.parsing import get_references_from_template
from moto.cloudformation.utils import generate_changeset_id
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from deployer.local.patches import Installer, Patch

NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)
SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9:]+)\}")
_IN_CREATE_CHANGE_SET = threading.local()


def install(installer: Installer) -> None:
    backend = cfn_models.CloudFormationBackend
    create, execute = backend.create_change_set, backend.execute_change_set
    update = cfn_models.Stack.update  # as installed so far (other patches may wrap it)

    def create_change_set(self: Any, stack_name: str, change_set_name: str, template: str,
                          parameters: dict[str, str], description: str, change_set_type: str,
                          **extra: Any) -> tuple[str, str]:  # fmt: skip
        if change_set_type == "CREATE":
            live = _live_stack(self, stack_name)
            if live is not None and live.status != "REVIEW_IN_PROGRESS":
                raise AlreadyExistsException(f"Stack [{stack_name}] already exists")
            if live is not None:
                return join_review(self, live, change_set_name, template, parameters,
                                   description, extra)  # fmt: skip
        cs_id, stack_id = create(self, stack_name, change_set_name, template, parameters,
                                 description, change_set_type, **extra)  # fmt: skip
        if change_set_type == "UPDATE":
            judge_update(self.change_sets[cs_id])
        return cs_id, stack_id

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> Any:
        result = execute(self, change_set_name, stack_name)
        change_set = _find_change_set(self, change_set_name)
        if change_set is not None and change_set.execution_status == "EXECUTE_COMPLETE":
            record_execution(self, change_set)
        return result

    def stack_update(self: Any, *args: Any, **kwargs: Any) -> None:
        update(self, *args, **kwargs)
        self.last_updated_time = utcnow()

    installer.replace(backend, "create_change_set", create_change_set)
    installer.replace(backend, "execute_change_set", execute_change_set)
    installer.replace(cfn_models.Stack, "update", stack_update)
    response = cfn_responses.CloudFormationResponse
    installer.replace(response, "get_template", get_template)
    transformers = dict(response.RESPONSE_KEY_PATH_TO_TRANSFORMER)
    transformers["DescribeChangeSetOutput.Tags"] = cfn_responses.transform_dict
    installer.replace(response, "RESPONSE_KEY_PATH_TO_TRANSFORMER", transformers)
    create_response, validate = response.create_change_set, response._validate_different_update

    def create_change_set_response(self: Any) -> Any:
        _IN_CREATE_CHANGE_SET.value = True
        try:
            return create_response(self)
        finally:
            _IN_CREATE_CHANGE_SET.value = False

    def validate_different_update(self: Any, *args: Any) -> None:
        if not getattr(_IN_CREATE_CHANGE_SET, "value", False):
            validate(self, *args)

    installer.replace(response, "create_change_set", create_change_set_response)
    installer.replace(response, "_validate_different_update", validate_different_update)


def join_review(backend: Any, stack: Any, name: str, template: str, parameters: dict[str, str],
                description: str, extra: dict[str, Any]) -> tuple[str, str]:  # fmt: skip
    """A CREATE change set for a stack still in review: AWS adds it to that stack."""
    cs_id = generate_changeset_id(name, backend.region_name, backend.account_id)
    change_set = cfn_models.ChangeSet("CREATE", cs_id, name, stack, template, parameters,
                                      description, **extra)  # fmt: skip
    change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
    backend.change_sets[cs_id] = change_set
    return cs_id, stack.stack_id


def judge_update(change_set: Any) -> None:
    """Status and changes of an UPDATE change set, against what the stack holds now."""
    stack = change_set.stack
    old = _as_text(stack.resource_map.resolved_parameters)
    new = resolved_parameters(change_set.template_dict, change_set.parameters)
    changed = {key for key in new.keys() | old.keys() if new.get(key) != old.get(key)}
    tags_changed = bool(change_set.tags) and dict(change_set.tags) != dict(stack.tags)
    if stack.has_template(change_set.template) and not changed and not tags_changed:
        change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
        change_set.status_reason = NO_CHANGES
        return
    change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
    change_set.status_reason = None
    listed = {change.logical_resource_id for change in change_set.changes}
    for name in touched_by(change_set.template_dict, stack.resource_map, changed) - listed:
        resource_type = change_set.template_dict["Resources"][name]["Type"]
        change_set.changes.append(cfn_models.Change("Modify", name, resource_type))


def resolved_parameters(template: dict[str, Any], given: dict[str, Any]) -> dict[str, str]:
    """Every parameter the template declares: the given value, else its default."""
    declared = template.get("Parameters") or {}
    values = {key: spec.get("Default") for key, spec in declared.items()}
    values.update({key: value for key, value in given.items() if key in declared})
    return _as_text(values)


def touched_by(template: dict[str, Any], resource_map: Any, changed: set[str]) -> set[str]:
    """Resources whose definition is unchanged but refers to a parameter that changed."""
    old = resource_map._resource_json_map
    found = set()
    for name, resource in (template.get("Resources") or {}).items():
        if name in old and old[name] == resource and changed & _references(resource):
            found.add(name)
    return found


def record_execution(backend: Any, change_set: Any) -> None:
    stack = change_set.stack
    if change_set.tags:
        stack.tags = dict(change_set.tags)
    if change_set.change_set_type == "UPDATE":
        stack.last_updated_time = utcnow()
    for change_set_id, other in list(backend.change_sets.items()):
        if other is not change_set and other.stack_id == change_set.stack_id:
            del backend.change_sets[change_set_id]


def get_template(self: Any) -> Any:
    """GetTemplate; with ``ChangeSetName``, the template that change set would deploy."""
    change_set_name = self._get_param("ChangeSetName")
    if not change_set_name:
        stack = self.cloudformation_backend.get_template(self._get_param("StackName"))
        return ActionResult({"TemplateBody": stack})
    change_set = self.cloudformation_backend.describe_change_set(change_set_name)
    return ActionResult({"TemplateBody": change_set.template})


def _references(resource: Any) -> set[str]:
    names = set(get_references_from_template(resource))
    for text in _strings(resource):
        names.update(SUB_REFERENCE.findall(text))
    return names


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _as_text(values: dict[str, Any]) -> dict[str, str]:
    def text(value: Any) -> str:
        return ",".join(map(str, value)) if isinstance(value, list) else str(value)

    return {key: text(value) for key, value in values.items()}


def _live_stack(backend: Any, name: str) -> Any:
    return next((s for s in backend.stacks.values() if s.name == name), None)


def _find_change_set(backend: Any, name: str) -> Any:
    if name in backend.change_sets:
        return backend.change_sets[name]
    return next((cs for cs in backend.change_sets.values() if cs.change_set_name == name), None)


PATCH = Patch(
    name="change_sets",
    requires=(
        ("moto.cloudformation.models", "CloudFormationBackend.create_change_set"),
        ("moto.cloudformation.models", "CloudFormationBackend.execute_change_set"),
        ("moto.cloudformation.models", "CloudFormationBackend.get_template"),
        ("moto.cloudformation.models", "CloudFormationBackend.describe_change_set"),
        ("moto.cloudformation.models", "Stack.update"),
        ("moto.cloudformation.models", "Stack.has_template"),
        ("moto.cloudformation.models", "Change"),
        ("moto.cloudformation.models", "ChangeSet"),
        ("moto.cloudformation.utils", "generate_changeset_id"),
        ("moto.cloudformation.responses", "CloudFormationResponse.get_template"),
        ("moto.cloudformation.responses", "CloudFormationResponse.create_change_set"),
        ("moto.cloudformation.responses", "CloudFormationResponse._validate_different_update"),
        ("moto.core.responses", "ActionResult"),
        (
            "moto.cloudformation.responses",
            "CloudFormationResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER",
        ),
        ("moto.cloudformation.responses", "transform_dict"),
        ("moto.cloudformation.exceptions", "AlreadyExistsException"),
        ("moto.cloudformation.parsing", "get_references_from_template"),
        ("moto.core.utils", "utcnow"),
    ),
    fields={
        "CloudFormationBackend": ("stacks", "change_sets", "region_name", "account_id"),
        "FakeChangeSet": (
            "change_set_type",
            "change_set_name",
            "stack",
            "stack_id",
            "template",
            "template_dict",
            "parameters",
            "tags",
            "changes",
            "status",
            "execution_status",
            "status_reason",
        ),
        "Stack": ("name", "status", "tags", "resource_map", "stack_id"),
        "ResourceMap": ("_resource_json_map", "resolved_parameters"),
    },  # fmt: skip
    install=install,
)
