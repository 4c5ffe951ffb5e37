"""The one table of AWS calls each operate command of disa-deploy makes, as IAM actions.

For each command: the IAM actions its calls need, each with the resources (ARNs of an
example env, ``disa``/``dev`` in eu-west-1, account 111122223333) it touches. The
functional tests record what every command really calls against moto and compare it with
this table; the deployer role's test checks that the role allows each action on each of
these resources (and that its operator policy grants nothing beyond them). Like
:mod:`tests.support.aws_calls` for the handlers' roles.
"""

from __future__ import annotations

PREFIX = "arn:aws:{service}:eu-west-1:111122223333:"
STACKS = tuple(
    PREFIX.format(service="cloudformation") + f"stack/{name}/0a1b2c3d"
    for name in ("disa-dev", "disa-dev-artifacts", "disa-dev-LambdaStack-1AB2CD3EF4")
)
TABLE = PREFIX.format(service="dynamodb") + "table/disa-dev-messages"
RETRY_INDEX = TABLE + "/index/retry-index"
STATE_MACHINE = PREFIX.format(service="states") + "stateMachine:disa-dev-state-machine"
RETRY_FUNCTION = PREFIX.format(service="lambda") + "function:disa-dev-retry"
DEAD_LETTER_QUEUES = tuple(
    PREFIX.format(service="sqs") + f"disa-dev-{suffix}" for suffix in ("stream-dlq",
                                                                     "subscription-dlq")
)  # fmt: skip
EXECUTIONS = tuple(
    PREFIX.format(service="states") + f"execution:disa-dev-state-machine:{name}"
    for name in ("m-1-0123456789ab-r1", "m-1-0123456789ab-r2")
)
LOG_GROUPS = tuple(
    PREFIX.format(service="logs") + f"log-group:{group}:*"
    for group in (
        "/aws/lambda/disa-dev-init-process",
        "/aws/lambda/disa-dev-process",
        "/aws/lambda/disa-dev-retry",
        "/aws/vendedlogs/states/disa-dev-state-machine",
    )
)

# command -> IAM action -> resources it is called on.
TOOL_CALLS: dict[str, dict[str, tuple[str, ...]]] = {
    "status": {
        "cloudformation:DescribeStacks": STACKS,
        "cloudformation:ListStackResources": STACKS,
        "dynamodb:DescribeTable": (TABLE,),
        "dynamodb:Scan": (TABLE,),
        "sqs:GetQueueUrl": DEAD_LETTER_QUEUES,  # counted, never received
        "sqs:GetQueueAttributes": DEAD_LETTER_QUEUES,
    },
    "send": {
        "cloudformation:DescribeStacks": STACKS[:1],
        "dynamodb:PutItem": (TABLE,),
        "dynamodb:GetItem": (TABLE,),
    },
    "logs": {
        "logs:FilterLogEvents": LOG_GROUPS,
        "dynamodb:GetItem": (TABLE,),  # --id: the item's runs name its executions
    },
    "trace": {
        "cloudformation:DescribeStacks": STACKS[:1],
        "dynamodb:GetItem": (TABLE,),
        "states:DescribeExecution": EXECUTIONS,
        "states:GetExecutionHistory": EXECUTIONS,
        "logs:FilterLogEvents": LOG_GROUPS,
    },
    "items": {
        "cloudformation:DescribeStacks": STACKS[:1],
        "dynamodb:DescribeTable": (TABLE,),
        "dynamodb:Scan": (TABLE, RETRY_INDEX),
        "dynamodb:BatchGetItem": (TABLE,),
    },
    "redrive": {
        "lambda:GetFunctionConfiguration": (RETRY_FUNCTION,),  # the retry function's settings
        "dynamodb:Scan": (TABLE, RETRY_INDEX),
        "dynamodb:GetItem": (TABLE,),
        "dynamodb:UpdateItem": (TABLE,),
        "states:StartExecution": (STATE_MACHINE,),
    },
}

# The item reads of the messages table: by command and action, each resource read and the
# attributes asked for (its ProjectionExpression). None: the whole item, body included;
# only `trace` asks for it, and falls back to OWNED when the role may not read bodies (the
# CI roles may not).
OWNED = ("id", "status", "run", "attempts", "reason", "retry_shard", "next_attempt_at",
         "sns_message_id", "execution", "updated_at", "request", "owner")  # fmt: skip
LISTED = ("id", "status", "reason", "run", "attempts", "updated_at", "next_attempt_at")
FOLLOWED = ("status", "reason", "execution", "sns_message_id", "updated_at")
REDRIVE_READ = ("id", "status", "run", "attempts", "request", "reason")
Read = tuple[str, tuple[str, ...] | None]
ITEM_READS: dict[tuple[str, str], tuple[Read, ...]] = {
    ("status", "dynamodb:Scan"): ((TABLE, ("status",)),),
    ("send", "dynamodb:GetItem"): ((TABLE, FOLLOWED),),
    ("logs", "dynamodb:GetItem"): ((TABLE, ("run", "execution", "request")),),
    ("trace", "dynamodb:GetItem"): ((TABLE, None), (TABLE, OWNED)),
    ("items", "dynamodb:Scan"): ((RETRY_INDEX, ("id",)), (TABLE, LISTED)),
    ("items", "dynamodb:BatchGetItem"): ((TABLE, LISTED),),
    ("redrive", "dynamodb:Scan"): ((RETRY_INDEX, ("id",)), (TABLE, ("id", "status"))),
    ("redrive", "dynamodb:GetItem"): ((TABLE, REDRIVE_READ),),
}
# The item writes: send's PutItem of exactly the key and the message, as an application
# writes it (the role's condition names these two attributes); redrive's claim, the
# attributes its update and condition name (a Failure keeps its attempts, an Exhausted
# item's are reset), never the message, and nothing asked back.
CLAIM = ("id", "status", "run", "next_attempt_at", "retry_shard", "updated_at", "request")
ITEM_WRITES: dict[tuple[str, str], tuple[Read, ...]] = {
    ("send", "dynamodb:PutItem"): ((TABLE, ("id", "message")),),
    ("redrive", "dynamodb:UpdateItem"): ((TABLE, CLAIM), (TABLE, (*CLAIM, "attempts"))),
}

# botocore service names that differ from their IAM prefix.
IAM_PREFIX = {"stepfunctions": "states", "sfn": "states", "monitoring": "cloudwatch"}


def iam_action(service_name: str, operation_name: str) -> str:
    return f"{IAM_PREFIX.get(service_name, service_name)}:{operation_name}"
