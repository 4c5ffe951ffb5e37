"""Handlers of the miniature: a publisher for the state machine, a ticker for the schedule."""

import json
import os

import boto3


class PublishError(Exception):
    pass


def worker(event, context):
    if event.get("fail"):
        raise PublishError("NotFound")
    answer = boto3.client("sns").publish(TopicArn=os.environ["TOPIC_ARN"], Message=event["id"])
    return {"outcome": "published", "messageId": answer["MessageId"]}


def ticker(event, context):
    body = json.dumps({"source": event.get("source"), "paused": event.get("paused", False)})
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=body)
    return {"ok": True}
