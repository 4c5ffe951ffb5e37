"""The one price table of the cost model: AWS list prices, US East (N. Virginia), us-east-1.

Read on 2026-11-29, on-demand list prices, no free tier, no Savings Plans, first pricing
tier of each tiered price (Lambda's first 7.5 billion arm64 GB-seconds a month, Express's
first 1,000 GB-hours, Logs' first 10 TB): a deployment past those tiers pays less. Each
entry names the page it comes from; where the stored copy of AWS's own page did not show
the figure, the secondary page that quotes it is named too, and the AWS page is the one
to check. Change a price here and nowhere else: ``cost_model`` multiplies these by the
units a run measured.
"""

from __future__ import annotations

from cost_model import Price

REGION = "us-east-1"
DATE_READ = "2026-11-29"

PRICES: dict[str, Price] = {
    "lambda.requests": Price(
        "Lambda", 0.20 / 1e6, "request",
        "https://aws.amazon.com/lambda/pricing/ ($0.20 per 1M requests; quoted by "
        "https://cloudchipr.com/blog/aws-lambda-pricing, US East)",
    ),
    "lambda.arm64_gb_seconds": Price(
        "Lambda", 0.0000133334, "GB-second (arm64)",
        "https://aws.amazon.com/lambda/pricing/ (arm64, first 7.5 billion GB-s a month; "
        "quoted by https://cloudchipr.com/blog/aws-lambda-pricing, US East)",
    ),
    "lambda.x86_64_gb_seconds": Price(
        "Lambda", 0.0000166667, "GB-second (x86_64)",
        "https://aws.amazon.com/lambda/pricing/ (x86, first 6 billion GB-s a month; "
        "quoted by https://cloudchipr.com/blog/aws-lambda-pricing, US East)",
    ),
    "states.standard_transitions": Price(
        "Step Functions", 0.025 / 1000, "state transition (Standard)",
        "https://aws.amazon.com/step-functions/pricing/ (US East (N. Virginia): $0.0250 per "
        "1,000 state transitions; retries count)",
    ),
    "states.express_requests": Price(
        "Step Functions", 1.00 / 1e6, "execution (Express)",
        "https://aws.amazon.com/step-functions/pricing/ ($1.00 per 1M requests; also "
        "https://aws.amazon.com/blogs/compute/building-cost-effective-aws-step-functions-workflows/)",
    ),
    "states.express_gb_seconds": Price(
        "Step Functions", 0.00001667, "GB-second (Express; 100 ms and 64 MB steps)",
        "https://aws.amazon.com/step-functions/pricing/ (first 1,000 GB-hours: $0.06 per "
        "GB-hour; the AWS Step Functions workshop's $0.0000001042 per 100 ms at 64 MB is "
        "the same figure)",
    ),
    "dynamodb.write_request_units": Price(
        "DynamoDB", 0.625 / 1e6, "write request unit (on-demand)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per 1M WRU since the "
        "2024-11-01 cut; quoted by https://airbyte.com/data-engineering-resources/dynamodb-pricing)",
    ),
    "dynamodb.read_request_units": Price(
        "DynamoDB", 0.125 / 1e6, "read request unit (on-demand)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.125 per 1M RRU; same quote). "
        "Stream reads by a Lambda trigger are free (same page)",
    ),
    "sns.publishes": Price(
        "SNS", 0.50 / 1e6, "publish (64 KB chunk, standard topic)",
        "https://aws.amazon.com/sns/pricing/ ($0.50 per 1M publish requests, each 64 KB "
        "chunk one request; deliveries to SQS and Lambda free, e-mail and HTTP extra; quoted by "
        "https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/)",
    ),
    "cloudwatch.api_requests": Price(
        "CloudWatch", 0.01 / 1000, "API request (DescribeAlarms)",
        "https://aws.amazon.com/cloudwatch/pricing/ ($0.01 per 1,000 requests past the "
        "first 1M a month, which are free)",
    ),
    "logs.ingested_gb": Price(
        "CloudWatch Logs", 0.50, "GB ingested (standard; vended logs the same first 10 TB)",
        "https://aws.amazon.com/cloudwatch/pricing/ ($0.50 per GB collected; quoted by "
        "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/)",
    ),
    "events.scheduled_invocations": Price(
        "EventBridge", 0.0, "scheduled rule invocation",
        "https://aws.amazon.com/cloudwatch/pricing/ (Events: all events except custom "
        "events are included; a rule's schedule is not a custom event)",
    ),
}  # fmt: skip
