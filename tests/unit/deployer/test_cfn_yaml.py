"""CloudFormation YAML keeps its short-form tags through load and dump."""

from __future__ import annotations

import pytest
import yaml

from deployer.cfn.template import Tagged, dump_template, load_template

TEMPLATE = """\
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "${Project}-${Env}-messages"
      KmsMasterKeyId: !If [HasKey, !Ref KeyArn, !Ref "AWS::NoValue"]
      Tags:
        - Key: arn
          Value: !GetAtt Key.Arn
        - Key: zone
          Value: !Select [0, !GetAZs ""]
        - Key: joined
          Value: !Join ["-", [!ImportValue shared, !FindInMap [M, a, b]]]
Conditions:
  HasKey: !Not [!Equals [!Ref KeyArn, ""]]
"""


def test_short_form_tags_survive_a_round_trip() -> None:
    loaded = load_template(TEMPLATE)
    again = load_template(dump_template(loaded))

    assert again == loaded
    props = loaded["Resources"]["Topic"]["Properties"]
    assert props["TopicName"] == Tagged("Sub", "${Project}-${Env}-messages")
    assert props["KmsMasterKeyId"].tag == "If"
    assert loaded["Conditions"]["HasKey"] == Tagged(
        "Not", [Tagged("Equals", [Tagged("Ref", "KeyArn"), ""])]
    )
    dumped = dump_template(loaded)
    assert "!GetAtt 'Key.Arn'" in dumped and "Fn::" not in dumped


def test_loading_does_not_teach_the_global_safe_loader_our_tags() -> None:
    load_template(TEMPLATE)

    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load("a: !Ref B")


def test_dump_keeps_key_order_and_is_stable() -> None:
    loaded = load_template("Resources: {}\nParameters: {}\nOutputs: {}\n")

    assert dump_template(loaded) == dump_template(load_template(dump_template(loaded)))
    assert list(load_template(dump_template(loaded))) == ["Resources", "Parameters", "Outputs"]
