"""``send`` and ``status`` through the gateways: what they print, and where a failure points."""

from __future__ import annotations

import json
from dataclasses import replace

from operate_world import DASHBOARD_URL, Cli, Processing, client


def test_send_prints_the_trail_to_successful(cli: Cli) -> None:
    edge = replace(cli.edge)
    edge.sleep = Processing(edge)

    result = cli("send", "hello", "--env", "dev", edge=edge)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("sent item ") and lines[0].endswith(" to disa-dev-messages:")
    assert [line.split()[-1] for line in lines[1:3]] == ["(written)", "Successful"]
    assert lines[3] == "  SNS message id sns-9, execution x-r1"


def test_a_send_that_does_not_end_successful_points_at_trace_and_logs(cli: Cli) -> None:
    result = cli("send", "hello", "--env", "dev", "--timeout", "2", "--output", "json")

    assert result.exit_code == 4
    summary = json.loads(result.stdout)
    item = summary["details"]["send"]["item_id"]
    assert summary["error"] == f"message {item} timed out after 2.0s"
    hint = next(line for line in result.stderr.splitlines() if line.startswith("hint:"))
    assert hint == (f"hint: see why: disa-deploy trace {item} --env dev ; "
                    f"disa-deploy logs --id {item} --env dev --since 1h")  # fmt: skip


def test_a_send_that_ends_in_failure_names_the_reason(cli: Cli) -> None:
    edge = replace(cli.edge)

    def fail(seconds: float) -> None:
        ddb = client("dynamodb")
        for item in ddb.scan(TableName="disa-dev-messages")["Items"]:
            ddb.update_item(TableName="disa-dev-messages", Key={"id": item["id"]},
                            UpdateExpression="SET #s = :s, reason = :r",
                            ExpressionAttributeNames={"#s": "status"},
                            ExpressionAttributeValues={":s": {"S": "Failure"},
                                                       ":r": {"S": "PublishError"}})  # fmt: skip

    edge.sleep = fail

    result = cli("send", "hello", "--env", "dev", edge=edge)

    assert result.exit_code == 4
    assert "ended Failure (PublishError) after" in result.stderr


def test_status_prints_the_dashboard_url_on_aws(cli: Cli) -> None:
    result = cli("status", "--env", "dev", "--output", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["details"]["dashboard_url"] == DASHBOARD_URL
    text = cli("status", "--env", "dev")
    assert text.stdout.splitlines()[-1] == f"Dashboard: {DASHBOARD_URL}"


def test_status_counts_what_each_dead_letter_queue_holds_and_never_reads_it(cli: Cli) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="disa-dev-subscription-dlq")["QueueUrl"]
    for body in ("undeliverable one", "undeliverable two"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    text = cli("status", "--env", "dev")
    result = cli("status", "--env", "dev", "--output", "json")

    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    start = lines.index("Dead-letter queues:")
    assert lines[start + 1 : start + 4] == [
        "  disa-dev-stream-dlq: absent",
        "  disa-dev-subscription-dlq: 2 messages",
        f"    read with: aws sqs receive-message --queue-url {url}",
    ]
    assert "never read here" in lines[start + 4]
    assert "undeliverable" not in text.output + result.output
    queues = json.loads(result.stdout)["details"]["dead_letter_queues"]
    assert queues == {"disa-dev-stream-dlq": None,
                      "disa-dev-subscription-dlq": {"waiting": 2, "in_flight": 0}}  # fmt: skip
    # Counting is not receiving: both messages are still there for the operator.
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "2"
    # A message someone is reading (received, not yet deleted) is still held, and said so.
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)
    again = cli("status", "--env", "dev").stdout.splitlines()
    assert "  disa-dev-subscription-dlq: 2 messages (1 being read)" in again


def test_status_with_empty_dead_letter_queues_points_at_nothing(cli: Cli) -> None:
    for name in ("disa-dev-stream-dlq", "disa-dev-subscription-dlq"):
        client("sqs").create_queue(QueueName=name)

    text = cli("status", "--env", "dev")

    lines = text.stdout.splitlines()
    start = lines.index("Dead-letter queues:")
    assert lines[start + 1 : start + 3] == ["  disa-dev-stream-dlq: 0 messages",
                                            "  disa-dev-subscription-dlq: 0 messages"]  # fmt: skip
    assert "receive-message" not in text.stdout
