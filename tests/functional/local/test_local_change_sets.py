"""Change sets on the emulator judge what a stack holds now, as CloudFormation does.

moto alone: a parameter-only change set lists nothing, and after one parameter update the
change set back to the old value says "didn't contain changes" (it compares with the
parameters the stack was created with). These run on in-process moto with the patches.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from deployer.local.patches import installed

TEMPLATE = json.dumps(
    {
        "Parameters": {
            "Attempts": {"Type": "Number", "Default": 5},
            "Unused": {"Type": "String", "Default": "a"},
        },
        "Resources": {
            "Counted": {"Type": "AWS::SSM::Parameter",
                        "Properties": {"Name": "c", "Type": "String",
                                       "Value": {"Ref": "Attempts"}}},
            "Named": {"Type": "AWS::SSM::Parameter",
                      "Properties": {"Name": "n", "Type": "String",
                                     "Value": {"Fn::Sub": "n-${Attempts}"}}},
            "Fixed": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "fixed"}},
        },
    }
)  # fmt: skip
NO_CHANGES = "The submitted information didn't contain changes."


@pytest.fixture
def cfn() -> Iterator[Any]:
    with mock_aws(), installed("change_sets", "change_set_lookups", "termination_protection"):
        yield boto3.client("cloudformation", region_name="us-east-1")


def params(**values: str) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]


def change_set(cfn: Any, name: str, kind: str = "UPDATE", tags: dict[str, str] | None = None,
               **values: str) -> dict[str, Any]:  # fmt: skip
    made = cfn.create_change_set(
        StackName="s", ChangeSetName=name, ChangeSetType=kind, TemplateBody=TEMPLATE,
        Parameters=params(**values), Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )  # fmt: skip
    return dict(cfn.describe_change_set(ChangeSetName=made["Id"]))


def deployed(cfn: Any, **values: str) -> None:
    made = change_set(cfn, "create", "CREATE", tags={"team": "a"}, **values)
    cfn.execute_change_set(ChangeSetName=made["ChangeSetId"])


def stack_parameters(cfn: Any) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName="s")["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


def test_a_parameter_change_lists_the_resources_that_refer_to_it(cfn: Any) -> None:
    deployed(cfn, Attempts="5")

    made = change_set(cfn, "seven", tags={"team": "a"}, Attempts="7")

    assert made["Status"] == "CREATE_COMPLETE"
    modified = {c["ResourceChange"]["LogicalResourceId"] for c in made["Changes"]}
    assert modified == {"Counted", "Named"}  # by Ref and by Fn::Sub; Fixed refers to neither


def test_going_back_to_the_old_value_is_a_change_once_the_update_ran(cfn: Any) -> None:
    deployed(cfn, Attempts="5")
    seven = change_set(cfn, "seven", tags={"team": "a"}, Attempts="7")
    cfn.execute_change_set(ChangeSetName=seven["ChangeSetId"])
    assert stack_parameters(cfn)["Attempts"] == "7"

    back = change_set(cfn, "back", tags={"team": "a"}, Attempts="5")
    same = change_set(cfn, "same", tags={"team": "a"}, Attempts="7")

    assert back["Status"] == "CREATE_COMPLETE" and back["Changes"]
    assert same["Status"] == "FAILED" and same["StatusReason"].startswith(NO_CHANGES)


def test_a_default_given_explicitly_is_no_change(cfn: Any) -> None:
    deployed(cfn)  # Attempts from its default, 5

    made = change_set(cfn, "explicit", tags={"team": "a"}, Attempts="5", Unused="a")

    assert made["Status"] == "FAILED" and made["StatusReason"].startswith(NO_CHANGES)


def test_tags_alone_are_a_change_and_the_execution_applies_them(cfn: Any) -> None:
    deployed(cfn, Attempts="5")

    made = change_set(cfn, "retag", tags={"team": "b"}, Attempts="5")
    cfn.execute_change_set(ChangeSetName=made["ChangeSetId"])

    assert made["Status"] == "CREATE_COMPLETE"
    assert made["Tags"] == [{"Key": "team", "Value": "b"}]
    stack = cfn.describe_stacks(StackName="s")["Stacks"][0]
    assert stack["Tags"] == [{"Key": "team", "Value": "b"}]
    assert "LastUpdatedTime" in stack


def test_a_change_set_that_gives_no_tags_keeps_the_stacks(cfn: Any) -> None:
    deployed(cfn, Attempts="5")

    made = change_set(cfn, "untagged", Attempts="5")

    assert made["Status"] == "FAILED" and made["StatusReason"].startswith(NO_CHANGES)


def test_executing_a_change_set_removes_the_stacks_other_change_sets(cfn: Any) -> None:
    deployed(cfn, Attempts="5")
    elsewhere = cfn.create_change_set(
        StackName="elsewhere", ChangeSetName="kept", ChangeSetType="CREATE", TemplateBody=TEMPLATE
    )["Id"]
    first = change_set(cfn, "first", tags={"team": "a"}, Attempts="6")
    second = change_set(cfn, "second", tags={"team": "a"}, Attempts="7")

    cfn.execute_change_set(ChangeSetName=second["ChangeSetId"])

    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_change_set(ChangeSetName=first["ChangeSetId"])
    executed = cfn.describe_change_set(ChangeSetName=second["ChangeSetId"])
    assert executed["ExecutionStatus"] == "EXECUTE_COMPLETE"
    assert cfn.describe_change_set(ChangeSetName=elsewhere)["Status"] == "CREATE_COMPLETE"


def test_a_change_set_that_is_gone_is_change_set_not_found_for_every_call(cfn: Any) -> None:
    deployed(cfn, Attempts="5")
    first = change_set(cfn, "first", Attempts="6")["ChangeSetId"]
    second = change_set(cfn, "second", Attempts="7")["ChangeSetId"]
    cfn.execute_change_set(ChangeSetName=second)  # removes the stack's other change sets

    for call in (cfn.describe_change_set, cfn.execute_change_set, cfn.delete_change_set):
        with pytest.raises(ClientError) as raised:
            call(ChangeSetName=first)
        error = raised.value.response["Error"]
        assert error["Code"] == "ChangeSetNotFound", call
        assert error["Message"] == f"ChangeSet [{first}] does not exist"


def test_list_change_sets_lists_only_the_named_stacks(cfn: Any) -> None:
    deployed(cfn, Attempts="5")
    mine = change_set(cfn, "mine", Attempts="6")["ChangeSetId"]
    cfn.create_change_set(StackName="elsewhere", ChangeSetName="theirs", ChangeSetType="CREATE",
                          TemplateBody=TEMPLATE)  # fmt: skip
    stack_id = cfn.describe_stacks(StackName="s")["Stacks"][0]["StackId"]

    for name in ("s", stack_id):
        listed = cfn.list_change_sets(StackName=name)["Summaries"]
        assert [c["ChangeSetId"] for c in listed] == [mine]


def test_get_template_of_a_change_set_is_the_change_sets_template(cfn: Any) -> None:
    topic = '{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}'
    cfn.create_stack(StackName="s", TemplateBody=topic)
    made = change_set(cfn, "next", Attempts="5")

    template = cfn.get_template(StackName="s", ChangeSetName=made["ChangeSetId"])["TemplateBody"]

    assert set(template["Resources"]) == {"Counted", "Named", "Fixed"}


def test_a_create_change_set_joins_a_stack_in_review_and_is_refused_for_a_live_one(
    cfn: Any,
) -> None:
    first = change_set(cfn, "one", "CREATE", Attempts="5")
    second = change_set(cfn, "two", "CREATE", Attempts="5")
    assert first["StackId"] == second["StackId"]  # one stack, REVIEW_IN_PROGRESS
    cfn.execute_change_set(ChangeSetName=first["ChangeSetId"])

    with pytest.raises(ClientError) as refused:
        change_set(cfn, "three", "CREATE", Attempts="5")

    assert refused.value.response["Error"]["Code"] == "AlreadyExistsException"
    assert len(cfn.describe_stacks()["Stacks"]) == 1


def test_termination_protection_is_kept_and_refuses_a_delete(cfn: Any) -> None:
    deployed(cfn, Attempts="5")

    cfn.update_termination_protection(StackName="s", EnableTerminationProtection=True)
    with pytest.raises(ClientError, match="cannot be deleted while TerminationProtection"):
        cfn.delete_stack(StackName="s")
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["EnableTerminationProtection"]
    cfn.update_termination_protection(StackName="s", EnableTerminationProtection=False)
    cfn.delete_stack(StackName="s")

    assert cfn.describe_stacks()["Stacks"] == []
