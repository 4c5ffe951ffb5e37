"""Patch: nested stacks: ``!GetAtt Child.Outputs.Name`` resolves, and updates stay in place.

What moto lacks:
- its YAML loader splits ``!GetAtt Child.Outputs.Name`` on every dot, and ``Fn::Sub``'s
  ``${Child.Outputs.Name}`` does the same, while ``Fn::GetAtt`` only reads the second part, so
  the attribute becomes "Outputs"; and ``AWS::CloudFormation::Stack`` has no
  ``get_cfn_attribute`` at all. The list form ``!GetAtt [Child, Outputs.Name]`` returns
  raw YAML nodes.
- updating a nested stack deletes it and creates a new one (its table and data go with it).
- a TemplateURL on the emulator's own address (http://127.0.0.1:PORT/bucket/key) is read
  as a virtual-hosted URL.

What the patch does: ``GetAtt`` arguments are normalised to ``[resource, "rest.of.path"]``
(in the YAML loader and in ``clean_json``, which every intrinsic function goes through);
a nested stack answers ``Outputs.<Name>`` from its outputs; a nested stack update becomes an
in-place ``Stack.update`` with the new template and parameters; path-style URLs on an IP
address are read as bucket/key.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlparse

import yaml
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing, utils
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

from deployer.local.patches import Installer, Patch

_ORIGINAL_CLEAN_JSON = parsing.clean_json
_ORIGINAL_TEMPLATE_READER = utils.get_stack_from_s3_url


def install(installer: Installer) -> None:
    # moto registers its constructor by name on every parse, from each of these modules.
    for module in (utils, cfn_models, cfn_responses):
        installer.replace(module, "yaml_tag_constructor", yaml_tag_constructor)
    installer.replace(parsing, "clean_json", clean_json)
    stack = cfn_models.Stack
    # Stack has no get_cfn_attribute of its own to replace: this adds one.
    installer.add(stack, "get_cfn_attribute", stack_attribute)
    installer.replace(stack, "update_from_cloudformation_json", classmethod(update_nested_stack))
    for module in (cfn_models, cfn_responses):
        installer.replace(module, "get_stack_from_s3_url", read_template)


def normalise_getatt(args: Any) -> Any:
    """``"A.Outputs.X"`` or ``["A", "Outputs", "X"]`` → ``["A", "Outputs.X"]``."""
    if isinstance(args, str):
        args = args.split(".")
    if isinstance(args, list) and len(args) > 2 and all(isinstance(a, str) for a in args):
        return [args[0], ".".join(args[1:])]
    if isinstance(args, list) and len(args) == 1 and isinstance(args[0], str):
        return args[0].split(".", 1)
    return args


def yaml_tag_constructor(loader: Any, tag: str, node: Any) -> Any:
    if tag == "!GetAtt":
        if isinstance(node, yaml.SequenceNode):
            return {"Fn::GetAtt": normalise_getatt(loader.construct_sequence(node, deep=True))}
        return {"Fn::GetAtt": node.value.split(".", 1)}
    key = "Ref" if tag == "!Ref" else f"Fn::{tag[1:]}"
    if isinstance(node, yaml.SequenceNode):
        return {key: loader.construct_sequence(node, deep=True)}
    if isinstance(node, yaml.MappingNode):
        return {key: loader.construct_mapping(node, deep=True)}
    return {key: node.value}


def clean_json(resource_json: Any, resources_map: Any) -> Any:
    if isinstance(resource_json, dict) and "Fn::GetAtt" in resource_json:
        resource_json = dict(resource_json)
        resource_json["Fn::GetAtt"] = normalise_getatt(resource_json["Fn::GetAtt"])
    return _ORIGINAL_CLEAN_JSON(resource_json, resources_map)


def stack_attribute(self: Any, attribute_name: str) -> Any:
    prefix = "Outputs."
    if attribute_name.startswith(prefix):
        output = self.output_map[attribute_name[len(prefix) :]]
        if output is not None:
            return output.value
    raise UnformattedGetAttTemplateException()


def update_nested_stack(
    cls: Any,
    /,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    properties = cloudformation_json["Properties"]
    template = read_template(properties["TemplateURL"], account_id=account_id, partition="aws")
    original_resource.update(template, parameters=properties.get("Parameters", {}))
    return original_resource


def read_template(template_url: str, account_id: str, partition: str) -> str:
    parts = urlparse(template_url)
    if _is_ip(parts.hostname or ""):
        from moto.s3.models import s3_backends

        bucket, key = parts.path.lstrip("/").split("/", 1)
        obj = s3_backends[account_id][partition].get_object(bucket, key)
        return obj.value.decode("utf-8")  # type: ignore[union-attr]
    return _ORIGINAL_TEMPLATE_READER(template_url, account_id=account_id, partition=partition)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


PATCH = Patch(
    name="nested_stacks",
    requires=(
        ("moto.cloudformation.utils", "yaml_tag_constructor"),
        ("moto.cloudformation.models", "yaml_tag_constructor"),
        ("moto.cloudformation.responses", "yaml_tag_constructor"),
        ("moto.cloudformation.utils", "get_stack_from_s3_url"),
        ("moto.cloudformation.models", "get_stack_from_s3_url"),
        ("moto.cloudformation.responses", "get_stack_from_s3_url"),
        ("moto.cloudformation.parsing", "clean_json"),
        ("moto.cloudformation.models", "Stack.update"),
        ("moto.cloudformation.models", "Stack.update_from_cloudformation_json"),
        ("moto.cloudformation.exceptions", "UnformattedGetAttTemplateException"),
        ("moto.s3.models", "s3_backends"),
        ("moto.s3.models", "S3Backend.get_object"),
    ),
    fields={"Stack": ("output_map",), "FakeKey": ("value",)},
    install=install,
)
