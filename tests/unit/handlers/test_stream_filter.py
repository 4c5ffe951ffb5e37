"""The stream mapping's filter: only requests (an insert or an overwrite, a new image
without status) reach disa_init_process.

AWS documents that ``exists`` matches leaf nodes only ("Using the Exists operator",
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html), so the filter
tests ``NewImage.status.S``. The local emulator evaluates filters with moto's EventPattern
(deployer/local/patches/stream_mappings.py); these cases hold there. One difference is
pinned below: moto also treats ``exists`` on an intermediate node (``status`` itself, an
object) as absent, which would let every status write through; the leaf form avoids it.
"""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from tests.support.cfn_yaml import CFT, load_template


def patterns() -> list[str]:
    tpl = load_template(CFT / "nested-stacks" / "lambda-function-stack.yaml")
    mapping = tpl["Resources"]["StreamMapping"]["Properties"]
    return [f["Pattern"] for f in mapping["FilterCriteria"]["Filters"]]


def record(event: str, image: dict | None) -> dict:
    dynamodb: dict = {"Keys": {"id": {"S": "k"}}, "SequenceNumber": "1"}
    if image is not None:
        dynamodb["NewImage"] = {"id": {"S": "k"}, **image}
    return {"eventName": event, "eventSource": "aws:dynamodb", "dynamodb": dynamodb}


def passes(rec: dict, pattern_texts: list[str] | None = None) -> bool:
    texts = pattern_texts if pattern_texts is not None else patterns()
    return any(EventPattern.load(text).matches_event(rec) for text in texts)


@pytest.mark.parametrize(
    ("case", "rec", "expected"),
    [
        pytest.param("insert", record("INSERT", {"message": {"S": "m"}}), True, id="insert"),
        pytest.param("overwrite", record("MODIFY", {"message": {"S": "m2"}}), True, id="overwrite"),
        pytest.param(
            "binary-beside",
            record("MODIFY", {"message": {"S": "m"}, "blob": {"B": "AAE="}}),
            True,
            id="overwrite-with-binary-attributes",
        ),
        pytest.param(
            "status-write",
            record("MODIFY", {"message": {"S": "m"}, "status": {"S": "Processing"}}),
            False,
            id="status-write",
        ),
        pytest.param(
            "user-update",
            record(
                "MODIFY", {"message": {"S": "m"}, "status": {"S": "Successful"}, "n": {"N": "1"}}
            ),
            False,
            id="status-preserving-update",
        ),
        pytest.param(
            "insert-with-status",
            record("INSERT", {"message": {"S": "m"}, "status": {"S": "Successful"}}),
            False,
            id="insert-with-a-status",
        ),
        pytest.param("remove", record("REMOVE", None), False, id="delete"),
    ],
)
def test_only_requests_pass(case: str, rec: dict, expected: bool) -> None:
    assert passes(rec) is expected


def test_the_filter_is_one_pattern_on_the_leaf() -> None:
    (text,) = patterns()
    assert json.loads(text) == {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"NewImage": {"status": {"S": [{"exists": False}]}}},
    }


def test_moto_takes_exists_on_an_intermediate_node_for_absent() -> None:
    """Why the leaf form: on the emulator the intermediate form passes status writes."""
    intermediate = json.dumps(
        {"eventName": ["MODIFY"], "dynamodb": {"NewImage": {"status": [{"exists": False}]}}}
    )
    status_write = record("MODIFY", {"status": {"S": "Processing"}})
    assert passes(status_write, [intermediate]) is True
    assert passes(status_write) is False
