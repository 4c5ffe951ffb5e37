"""The one table of AWS calls each DISA component makes, as IAM actions.

Handler tests record every call a handler makes (botocore's before-call event) and check
it is listed here; template tests check each role in cft/nested-stacks/iam-role-stack.yaml
grants exactly these actions plus the platform actions below, and nothing else.
"""

from __future__ import annotations

# Calls made by our own code (handler modules, or the state machine's own Task states).
CODE_CALLS: dict[str, frozenset[str]] = {
    "disa_init_process": frozenset({"states:StartExecution", "dynamodb:UpdateItem"}),
    "disa_process": frozenset({"dynamodb:UpdateItem", "sns:Publish", "cloudwatch:DescribeAlarms"}),
    "disa_retry": frozenset({"dynamodb:Query", "dynamodb:UpdateItem", "states:StartExecution"}),
    "state_machine": frozenset({"lambda:InvokeFunction", "dynamodb:UpdateItem"}),
}

# botocore service names that differ from their IAM prefix.
IAM_PREFIX = {"stepfunctions": "states", "sfn": "states", "monitoring": "cloudwatch"}


def iam_action(service_name: str, operation_name: str) -> str:
    """IAM action for a botocore call, e.g. ('stepfunctions', 'StartExecution')."""
    return f"{IAM_PREFIX.get(service_name, service_name)}:{operation_name}"


# Actions a component's role needs for calls our code does not make: AWS makes them with the
# role's credentials on the component's behalf. Template tests require each role to grant
# exactly CODE_CALLS | PLATFORM_CALLS for its component.
_LAMBDA_RUNTIME = frozenset(
    {
        # Lambda writes the function's stdout (JSON logs, EMF metrics) to its log group.
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        # Active X-Ray tracing: Lambda sends the function's segments with its role.
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
)
# The table is encrypted with the customer key: DynamoDB decrypts its table key as the caller.
_DYNAMODB_KEY = frozenset({"kms:Decrypt"})

PLATFORM_CALLS: dict[str, frozenset[str]] = {
    "disa_init_process": _LAMBDA_RUNTIME
    | _DYNAMODB_KEY
    | {
        # The event source mapping polls the table's stream with the function's role.
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        # The mapping's on-failure destination (the stream DLQ) is sent with the role...
        "sqs:SendMessage",
        # ...and the queue is encrypted with the customer key, so SQS needs a data key.
        "kms:GenerateDataKey",
    },
    "disa_process": _LAMBDA_RUNTIME
    | _DYNAMODB_KEY
    | {
        # The messages topic is encrypted with the customer key: SNS needs a data key per
        # message published (and kms:Decrypt, already above).
        "kms:GenerateDataKey",
    },
    "disa_retry": _LAMBDA_RUNTIME | _DYNAMODB_KEY,
    "state_machine": _DYNAMODB_KEY
    | {
        # Execution logging (level ERROR) goes through CloudWatch Logs vended delivery, which
        # Step Functions sets up and uses with the state machine's role.
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        # X-Ray tracing of executions: segments plus the sampling rules Step Functions reads.
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    },
}
