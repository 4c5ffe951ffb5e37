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
