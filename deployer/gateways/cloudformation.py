"""CloudFormation gateway: stacks, templates, change sets and events as plain values.

"Does not exist" is a ``ValidationError`` distinguished only by its message; it becomes
``None`` here (see :mod:`deployer.cfn.messages`); every call goes through :func:`aws_call`,
so any other failure names the operation and endpoint. Pagination happens here; callers get
lists or lazy iterators.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import botocore.exceptions

from deployer.cfn.messages import change_set_has_no_changes, is_does_not_exist
from deployer.gateways.base import aws_call, error_code, error_message

CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")


@dataclass(frozen=True)
class StackInfo:
    name: str
    stack_id: str
    status: str
    reason: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, str] = field(default_factory=dict)
    last_updated: str = ""  # ISO time of the last update, else of the creation
    termination_protection: bool = False


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    stack_id: str
    logical_id: str
    physical_id: str
    resource_type: str
    status: str
    reason: str
    timestamp: datetime


@dataclass(frozen=True)
class ChangeSetInfo:
    change_set_id: str
    status: str
    reason: str
    execution_status: str
    changes: tuple[Mapping[str, Any], ...]  # ResourceChange dicts, as CloudFormation gives
    stack_name: str = ""
    stack_id: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewChangeSet:
    change_set_id: str
    stack_id: str


@dataclass(frozen=True)
class TemplateSource:
    body: str | None = None
    url: str | None = None

    def as_params(self) -> dict[str, str]:
        return {"TemplateURL": self.url} if self.url else {"TemplateBody": self.body or ""}


def _stack_info(raw: Mapping[str, Any]) -> StackInfo:
    return StackInfo(
        name=raw["StackName"],
        stack_id=raw["StackId"],
        status=raw["StackStatus"],
        reason=raw.get("StackStatusReason", ""),
        tags={t["Key"]: t["Value"] for t in raw.get("Tags", [])},
        parameters={
            p["ParameterKey"]: p.get("ParameterValue", "") for p in raw.get("Parameters", [])
        },
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in raw.get("Outputs", [])},
        last_updated=_iso(raw.get("LastUpdatedTime") or raw.get("CreationTime")),
        termination_protection=bool(raw.get("EnableTerminationProtection", False)),
    )


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def _event(raw: Mapping[str, Any]) -> StackEvent:
    return StackEvent(
        event_id=raw["EventId"],
        stack_id=raw["StackId"],
        logical_id=raw.get("LogicalResourceId", ""),
        physical_id=raw.get("PhysicalResourceId", ""),
        resource_type=raw.get("ResourceType", ""),
        status=raw.get("ResourceStatus", ""),
        reason=raw.get("ResourceStatusReason", ""),
        timestamp=raw["Timestamp"],
    )


class StackGateway:
    def __init__(self, client: Any) -> None:
        self.client = client

    def describe(self, name: str) -> StackInfo | None:
        try:
            reply = self._call("describe_stacks", f"describe stack {name}", StackName=name)
        except Exception as err:
            if _missing(err):
                return None
            raise
        stacks = reply["Stacks"]
        return _stack_info(stacks[0]) if stacks else None

    def template_body(self, name: str, change_set_id: str | None = None) -> str:
        """The stack's template as submitted, or the one a change set would deploy."""
        extra = {"ChangeSetName": change_set_id} if change_set_id else {}
        body = self._call("get_template", f"get template of {change_set_id or name}",
                          StackName=name, TemplateStage="Original", **extra)  # fmt: skip
        text = body.get("TemplateBody", "")
        return text if isinstance(text, str) else _canonical_json(text)

    def create_stack(self, name: str, template: TemplateSource, params: Mapping[str, str],
                     tags: Mapping[str, str]) -> str:  # fmt: skip
        reply = self._call(
            "create_stack", f"create stack {name}",
            StackName=name, Parameters=_params(params), Tags=_tags(tags),
            Capabilities=list(CAPABILITIES), **template.as_params(),
        )  # fmt: skip
        return str(reply["StackId"])

    def create_change_set(
        self, name: str, change_set: str, kind: str, template: TemplateSource,
        params: Mapping[str, str], tags: Mapping[str, str],
    ) -> NewChangeSet:  # fmt: skip
        reply = self._call(
            "create_change_set", f"create change set for {name}",
            StackName=name, ChangeSetName=change_set, ChangeSetType=kind,
            Parameters=_params(params), Tags=_tags(tags), Capabilities=list(CAPABILITIES),
            IncludeNestedStacks=True, **template.as_params(),
        )  # fmt: skip
        return NewChangeSet(str(reply["Id"]), str(reply.get("StackId", "")))

    def describe_change_set(self, change_set_id: str) -> ChangeSetInfo:
        changes: list[Mapping[str, Any]] = []
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = self._call("describe_change_set", "describe change set",
                              ChangeSetName=change_set_id, **extra)  # fmt: skip
            changes.extend(c["ResourceChange"] for c in page.get("Changes", []))
            token = page.get("NextToken")
            if not token:
                break
        return ChangeSetInfo(
            change_set_id=page.get("ChangeSetId", change_set_id),
            status=page.get("Status", ""),
            reason=page.get("StatusReason", ""),
            execution_status=page.get("ExecutionStatus", ""),
            changes=tuple(changes),
            stack_name=page.get("StackName", ""),
            stack_id=page.get("StackId", ""),
            parameters={p["ParameterKey"]: p.get("ParameterValue", "")
                        for p in page.get("Parameters", [])},
            tags={t["Key"]: t["Value"] for t in page.get("Tags", [])},
        )  # fmt: skip

    def find_change_set(self, change_set_id: str) -> ChangeSetInfo | None:
        """:meth:`describe_change_set`, or None when the change set no longer exists."""
        try:
            return self.describe_change_set(change_set_id)
        except Exception as err:
            if _missing(err):
                return None
            raise

    def update_stack(self, name: str, template: TemplateSource, params: Mapping[str, str],
                     tags: Mapping[str, str]) -> bool:  # fmt: skip
        """UpdateStack without a change set; False when CloudFormation sees nothing to do."""
        try:
            self._call(
                "update_stack", f"update stack {name}",
                StackName=name, Parameters=_params(params), Tags=_tags(tags),
                Capabilities=list(CAPABILITIES), **template.as_params(),
            )  # fmt: skip
        except Exception as err:
            cause = err.__cause__
            if isinstance(cause, botocore.exceptions.ClientError) and change_set_has_no_changes(
                error_message(cause)
            ):
                return False
            raise
        return True

    def set_termination_protection(self, stack: str, enabled: bool) -> None:
        self._call("update_termination_protection", f"set termination protection of {stack}",
                   StackName=stack, EnableTerminationProtection=enabled)  # fmt: skip

    def change_set_ids(self, stack: str) -> list[str]:
        """Ids of every change set ``stack`` holds (ListChangeSets, all pages)."""
        found: list[str] = []
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = self._call("list_change_sets", f"list change sets of {stack}",
                              StackName=stack, **extra)  # fmt: skip
            found += [item["ChangeSetId"] for item in page.get("Summaries", [])]
            token = page.get("NextToken")
            if not token:
                return found

    def delete_change_set(self, change_set_id: str) -> bool:
        """False when the change set no longer exists (nothing to delete)."""
        try:
            self._call("delete_change_set", "delete change set", ChangeSetName=change_set_id)
        except Exception as err:
            if _missing(err):
                return False
            raise
        return True

    def execute_change_set(self, change_set_id: str) -> None:
        self._call("execute_change_set", "execute change set", ChangeSetName=change_set_id)

    def delete_stack(self, stack: str) -> None:
        self._call("delete_stack", f"delete stack {stack}", StackName=stack)

    def events(self, stack_id: str) -> Iterator[StackEvent]:
        """Events newest first, one page at a time (stop iterating to stop paging)."""
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = self._call("describe_stack_events", f"describe events of {stack_id}",
                              StackName=stack_id, **extra)  # fmt: skip
            yield from (_event(raw) for raw in page.get("StackEvents", []))
            token = page.get("NextToken")
            if not token:
                return

    def nested_stacks(self, stack: str) -> list[tuple[str, str]]:
        """(logical id, stack id) of the nested stacks directly under ``stack``."""
        found: list[tuple[str, str]] = []
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = self._call("list_stack_resources", f"list resources of {stack}",
                              StackName=stack, **extra)  # fmt: skip
            for item in page.get("StackResourceSummaries", []):
                nested = item.get("ResourceType") == "AWS::CloudFormation::Stack"
                if nested and item.get("PhysicalResourceId"):
                    found.append((item["LogicalResourceId"], item["PhysicalResourceId"]))
            token = page.get("NextToken")
            if not token:
                return found

    def _call(self, method: str, action: str, **params: Any) -> Any:
        return aws_call(self.client, method, action, **params)


def _missing(err: Exception) -> bool:
    cause = err.__cause__ if err.__cause__ is not None else err
    if not isinstance(cause, botocore.exceptions.ClientError):
        return False
    if error_code(cause) == "ChangeSetNotFound":
        return True
    return error_code(cause) == "ValidationError" and is_does_not_exist(error_message(cause))


def _params(params: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()]


def _tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _canonical_json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
