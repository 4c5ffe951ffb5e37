"""SQS gateway for the environment's dead-letter queues: how many messages each holds.

Only counts: GetQueueUrl, then GetQueueAttributes for ``ApproximateNumberOfMessages``
(waiting) and ``ApproximateNumberOfMessagesNotVisible`` (received by someone, not yet
deleted). No ReceiveMessage: a message there holds a body, which the tool never reads.
The counts are SQS's approximations (eventually consistent, within about a minute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deployer.errors import DeployError
from deployer.gateways.base import aws_call, cause_code

# The JSON protocol's code and the query protocol's (which JSON replies still carry).
_NO_SUCH_QUEUE = frozenset({"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"})


@dataclass(frozen=True)
class QueueDepth:
    url: str
    waiting: int  # ApproximateNumberOfMessages
    in_flight: int  # ApproximateNumberOfMessagesNotVisible


class Queues:
    def __init__(self, client: Any) -> None:
        self.client = client

    def depth(self, name: str) -> QueueDepth | None:
        """The queue's message counts, or None when no queue has that name."""
        try:
            url = str(aws_call(self.client, "get_queue_url", f"find queue {name}",
                               QueueName=name)["QueueUrl"])  # fmt: skip
            answer = aws_call(self.client, "get_queue_attributes", f"count messages in {name}",
                              QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                              "ApproximateNumberOfMessagesNotVisible"])  # fmt: skip
        except DeployError as err:
            if cause_code(err) in _NO_SUCH_QUEUE:
                return None
            raise
        counts = answer.get("Attributes", {})
        waiting = int(counts.get("ApproximateNumberOfMessages", 0))
        return QueueDepth(url, waiting, int(counts.get("ApproximateNumberOfMessagesNotVisible", 0)))
