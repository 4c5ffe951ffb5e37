"""Patch 2: stream mappings honour filters, batch size, Enabled and partial batch failures,
and the shard keeps every record."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.functional.local.support import Clients, create_function

COLLECTOR = """
import json, os, boto3

def handler(event, context):
    sqs, ddb = boto3.client("sqs"), boto3.client("dynamodb")
    failures = []
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["id"]["S"]
        if key.startswith("flaky") and not failures:
            try:
                ddb.put_item(TableName=os.environ["MARKERS"], Item={"id": {"S": key}},
                             ConditionExpression="attribute_not_exists(id)")
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            except ddb.exceptions.ConditionalCheckFailedException:
                pass
    batch = [[r["dynamodb"]["Keys"]["id"]["S"], r["eventName"]] for r in event["Records"]]
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(batch))
    return {"batchItemFailures": failures}
"""


def make_table(aws: Clients, name: str, stream: bool = True) -> str:
    spec = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"} if stream else None
    extra = {"StreamSpecification": spec} if spec else {}
    answer = aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return str(answer["TableDescription"].get("LatestStreamArn", ""))


def collector(aws: Clients, name: str) -> str:
    queue_url = aws("sqs").create_queue(QueueName=f"{name}-batches")["QueueUrl"]
    make_table(aws, f"{name}-markers", stream=False)
    variables = {"QUEUE_URL": queue_url, "MARKERS": f"{name}-markers"}
    create_function(aws, name, COLLECTOR, Environment={"Variables": variables}, Timeout=10)
    return str(queue_url)


def collect(aws: Clients, queue_url: str, until: Any, timeout: float = 20) -> list[list[Any]]:
    batches: list[list[Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until(batches):
        answer = aws("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
        batches.extend(json.loads(m["Body"]) for m in answer.get("Messages", []))
    return batches


def put(aws: Clients, table: str, key: str, **extra: str) -> None:
    item = {"id": {"S": key}, **{k: {"S": v} for k, v in extra.items()}}
    aws("dynamodb").put_item(TableName=table, Item=item)


def test_filtered_batched_partial_failures_redelivered_nothing_lost(aws: Clients) -> None:
    stream_arn = make_table(aws, "streams-a")
    queue_url = collector(aws, "collect-a")
    aws("lambda").create_event_source_mapping(
        FunctionName="collect-a",
        EventSourceArn=stream_arn,
        StartingPosition="LATEST",
        BatchSize=2,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    for key in ("a1", "a2", "a3", "flaky-1", "a4"):
        put(aws, "streams-a", key)
    put(aws, "streams-a", "a1", message="changed")  # a MODIFY: filtered out

    def all_seen(batches: list[list[Any]]) -> bool:
        keys = [key for batch in batches for key, _ in batch]
        return keys.count("flaky-1") == 2 and "a4" in keys

    batches = collect(aws, queue_url, all_seen)

    delivered = [key for batch in batches for key, _ in batch]
    assert all(len(batch) <= 2 for batch in batches)
    assert {event for batch in batches for _, event in batch} == {"INSERT"}
    # In order, nothing lost; the failed record (and whatever followed it in its batch) is
    # delivered again, the records before it are not.
    assert list(dict.fromkeys(delivered)) == ["a1", "a2", "a3", "flaky-1", "a4"]
    assert delivered.count("flaky-1") == 2
    assert [delivered.count(key) for key in ("a1", "a2", "a3")] == [1, 1, 1]


def test_shard_keeps_every_record_with_growing_sequence_numbers(aws: Clients) -> None:
    stream_arn = make_table(aws, "streams-b")
    queue_url = collector(aws, "collect-b")
    aws("lambda").create_event_source_mapping(
        FunctionName="collect-b", EventSourceArn=stream_arn, StartingPosition="LATEST"
    )
    for key in ("b1", "b2", "b3"):
        put(aws, "streams-b", key)
    streams = aws("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    # The collector's batch arrives after the poller delivered (moto used to empty the
    # shard then).
    collect(aws, queue_url, lambda batches: bool(batches))
    records = streams.get_records(ShardIterator=iterator)["Records"]

    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records] == ["b1", "b2", "b3"]
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(set(sequence))


def test_disabled_mapping_delivers_only_once_enabled(aws: Clients) -> None:
    stream_arn = make_table(aws, "streams-c")
    queue_url = collector(aws, "collect-c")
    uuid = aws("lambda").create_event_source_mapping(
        FunctionName="collect-c",
        EventSourceArn=stream_arn,
        StartingPosition="LATEST",
        Enabled=False,
    )["UUID"]
    put(aws, "streams-c", "c1")

    assert collect(aws, queue_url, lambda b: bool(b), timeout=2) == []

    aws("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    batches = collect(aws, queue_url, lambda b: bool(b))
    assert batches == [[["c1", "INSERT"]]]


STRICT = """
import json, os, boto3

def handler(event, context):
    keys = [r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"]]
    body = json.dumps({"keys": keys, "records": event["Records"]})
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=body)
    if any(key.startswith("poison") for key in keys):
        raise ValueError("poison in the batch")
    return {}
"""


def strict(aws: Clients, name: str, **mapping: Any) -> tuple[str, str, str]:
    """A function failing every batch with a "poison" key; (batches queue, DLQ, stream ARN)."""
    sqs = aws("sqs")
    queue_url = sqs.create_queue(QueueName=f"{name}-batches")["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    stream_arn = make_table(aws, name)
    create_function(aws, name, STRICT, Environment={"Variables": {"QUEUE_URL": queue_url}},
                    Timeout=10)  # fmt: skip
    aws("lambda").create_event_source_mapping(
        FunctionName=name, EventSourceArn=stream_arn, StartingPosition="LATEST",
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}}, **mapping,
    )  # fmt: skip
    return str(queue_url), str(dlq_url), stream_arn


def delivered_batches(aws: Clients, queue_url: str, until: Any) -> list[dict[str, Any]]:
    batches: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not until(batches):
        answer = aws("sqs").receive_message(
            QueueUrl=queue_url, WaitTimeSeconds=1, MaxNumberOfMessages=10
        )
        batches.extend(json.loads(m["Body"]) for m in answer.get("Messages", []))
    return batches


def test_binary_attributes_reach_the_function_base64_encoded(aws: Clients) -> None:
    queue_url, _, _ = strict(aws, "streams-binary")
    item = {
        "id": {"S": "bin-1"},
        "message": {"B": b"\x00\xffbinary"},
        "set": {"BS": [b"\x01", b"\x02"]},
        "nested": {"M": {"blob": {"B": b"\x03"}, "list": {"L": [{"B": b"\x04"}, {"N": "1.5"}]}}},
        "number": {"N": "42"},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
        "strings": {"SS": ["a", "b"]},
    }
    aws("dynamodb").put_item(TableName="streams-binary", Item=item)
    put(aws, "streams-binary", "after-binary")

    batches = delivered_batches(
        aws, queue_url, lambda b: "after-binary" in [k for x in b for k in x["keys"]]
    )

    image = next(
        r["dynamodb"]["NewImage"] for b in batches for r in b["records"]
        if r["dynamodb"]["Keys"]["id"]["S"] == "bin-1"
    )  # fmt: skip
    assert image["message"] == {"B": "AP9iaW5hcnk="}
    assert sorted(image["set"]["BS"]) == ["AQ==", "Ag=="]
    assert image["nested"]["M"]["blob"] == {"B": "Aw=="}
    assert image["nested"]["M"]["list"]["L"] == [{"B": "BA=="}, {"N": "1.5"}]
    assert image["number"] == {"N": "42"}
    assert (image["flag"], image["nothing"]) == ({"BOOL": True}, {"NULL": True})
    assert sorted(image["strings"]["SS"]) == ["a", "b"]


def test_a_poison_record_is_bisected_out_and_sent_to_the_on_failure_queue(aws: Clients) -> None:
    queue_url, dlq_url, stream_arn = strict(
        aws, "streams-poison", BatchSize=4, BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1, Enabled=False,
    )  # fmt: skip
    for key in ("ok-1", "ok-2", "poison-1", "ok-3"):
        put(aws, "streams-poison", key)
    uuid = aws("lambda").list_event_source_mappings(FunctionName="streams-poison")[
        "EventSourceMappings"
    ][0]["UUID"]
    aws("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)  # one batch of four
    later: list[str] = []

    def settled(batches: list[dict[str, Any]]) -> bool:
        keys = [k for b in batches for k in b["keys"]]
        if "ok-3" in keys and not later:  # written once the poison record is behind us
            later.append("ok-after")
            put(aws, "streams-poison", "ok-after")
        return "ok-after" in keys

    batches = delivered_batches(aws, queue_url, settled)
    failure = json.loads(
        aws("sqs").receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10)["Messages"][0]["Body"]
    )

    sizes = [b["keys"] for b in batches]
    assert sizes[0] == ["ok-1", "ok-2", "poison-1", "ok-3"]  # the whole batch, then halves
    assert ["ok-1", "ok-2"] in sizes and ["poison-1", "ok-3"] in sizes
    assert sizes.count(["poison-1"]) == 2  # the first try and MaximumRetryAttempts=1
    assert ["ok-3"] in sizes and ["ok-after"] in sizes  # the shard moved on
    info = failure["DDBStreamBatchInfo"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == stream_arn
    assert "NewImage" not in json.dumps(failure)  # metadata only, never the records
