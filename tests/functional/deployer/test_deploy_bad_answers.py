"""An answer that is not a valid AWS answer (an unparseable body, an HTML page, HTTP 5xx, a
refused connection) names the call and its endpoint and exits with its documented code: 4,
or 2 when nothing answers at all; never "a bug in disa-deploy". Where the read only
observes, it is waited out instead.

The phases are scripted with Stubber; the kinds of answer come from a real HTTP server
through real botocore parsing (no moto there: moto would intercept the requests)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.parsers import ResponseParserError
from cfn_script import (
    CS_ID,
    ROOT_ID,
    TABLE_TYPE,
    CfnScript,
    change,
    event,
    stack,
)
from deploy_harness import Answers, Cli, FakeClock, answering_endpoint

from deployer.errors import AwsCallError, CallFailure, DeployError
from deployer.gateways.aws import AwsTarget, Clients
from deployer.gateways.cloudformation import StackGateway
from deployer.wiring import Edge

CFN_ENDPOINT = "https://cloudformation.us-east-1.amazonaws.com"
PARSER_ERROR = ResponseParserError(
    "Unable to parse response (not well-formed (invalid token): line 1, column 0), invalid "
    'XML received. Further retries may succeed:\nb\'{"__type": "ResourceInUseException"}\''
)


def before_the_change_set(cfn: CfnScript) -> None:
    cfn.store_ready()
    cfn.fail("describe_stacks", PARSER_ERROR)


def at_change_set_creation(cfn: CfnScript) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.fail("create_change_set", PARSER_ERROR)


def at_deletion(cfn: CfnScript) -> None:
    cfn.describe(stack("UPDATE_COMPLETE"))
    cfn.add("list_stack_resources", {"StackResourceSummaries": []})
    cfn.events(event(0, "disa-dev", "UPDATE_COMPLETE", physical=ROOT_ID))
    cfn.fail("delete_stack", PARSER_ERROR)


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("script", "command", "operation"),
    [
        (before_the_change_set, "up", "DescribeStacks"),
        (at_change_set_creation, "up", "CreateChangeSet"),
        (at_deletion, "destroy", "DeleteStack"),
    ],
    ids=["pre-flight look", "change set creation", "destroy's deletion"],
)
def test_an_unparseable_answer_to_an_action_exits_4_naming_the_call(
    stubbed: Cli, cfn: CfnScript, script: Any, command: str, operation: str
) -> None:
    script(cfn)

    extra = ["--yes"] if command == "destroy" else []
    result = stubbed(command, "--env", "dev", *extra)

    assert result.exit_code == 4, result.output
    assert f"cloudformation {operation} at {CFN_ENDPOINT}: not a valid AWS answer" in result.stderr
    assert "bug" not in result.stderr
    assert "ResourceInUseException" not in result.stderr  # the foreign body is not echoed


@pytest.mark.usefixtures("aws")
def test_an_unparseable_answer_while_waiting_for_the_change_set_is_waited_out(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.store_ready()
    cfn.missing()
    cfn.create_change_set("CREATE")
    cfn.fail("describe_change_set", PARSER_ERROR)
    cfn.change_set("CREATE_COMPLETE", [change("Add", "Table", TABLE_TYPE)])
    review = event(0, "disa-dev", "REVIEW_IN_PROGRESS", physical=ROOT_ID)
    cfn.events(review)
    cfn.add("execute_change_set", {}, {"ChangeSetName": CS_ID})
    done = event(1, "disa-dev", "CREATE_COMPLETE", physical=ROOT_ID)
    cfn.events(review, done)
    cfn.describe(stack("CREATE_COMPLETE"))
    cfn.events(review, done)

    result = stubbed("up", "--env", "dev")

    assert result.exit_code == 0, result.output
    assert "change set status unavailable for 10 s: not a valid AWS answer" in result.stderr


@pytest.mark.usefixtures("aws")
def test_destroy_goes_on_when_the_nested_stacks_cannot_be_listed(
    stubbed: Cli, cfn: CfnScript
) -> None:
    cfn.describe(stack("ROLLBACK_COMPLETE"))
    cfn.fail("list_stack_resources", PARSER_ERROR)
    last = event(0, "disa-dev", "ROLLBACK_COMPLETE", physical=ROOT_ID)
    cfn.events(last)
    cfn.add("delete_stack", {}, {"StackName": ROOT_ID})
    done = event(1, "disa-dev", "DELETE_COMPLETE", physical=ROOT_ID)
    cfn.events(last, done)
    cfn.describe(stack("DELETE_COMPLETE"))
    cfn.events(last, done)

    result = stubbed("destroy", "--env", "dev", "--yes")

    assert result.exit_code == 0, result.output
    assert "disa-dev/* (could not list them: list resources of" in result.stdout
    assert "cloudformation ListStackResources at" in result.stdout


# --- real HTTP answers, real botocore parsing ------------------------------------------------

ANSWERS: Answers = {
    "an HTML page with 200": (200, None, b"<html><body><h1>Welcome</h1></body></html>"),
    "an HTML page that is not XML": (
        200,
        None,
        b"<!DOCTYPE html>\n<html><body>hi<br></body></html>",
    ),
    "a DynamoDB error body": (400, None, b'{"__type": "ResourceInUseException", "message": "x"}'),
    "HTTP 500 with an HTML page": (500, None, b"<html><body>Internal Server Error</body></html>"),
    "HTTP 503 with no body": (503, None, b""),
    "HTTP 403 from a proxy": (403, None, b"<html><body>Forbidden</body></html>"),
}
EXPECTED = {
    "an HTML page with 200": CallFailure.BAD_REPLY,
    "an HTML page that is not XML": CallFailure.BAD_REPLY,
    "a DynamoDB error body": CallFailure.BAD_REPLY,
    "HTTP 500 with an HTML page": CallFailure.SERVER_ERROR,
    "HTTP 503 with no body": CallFailure.SERVER_ERROR,
    "HTTP 403 from a proxy": CallFailure.BAD_REPLY,
}


@pytest.fixture
def answering() -> Iterator[tuple[str, dict[str, str]]]:
    """An endpoint that gives whatever answer ``choice["answer"]`` names."""
    with answering_endpoint(ANSWERS) as endpoint:
        yield endpoint


def one_attempt_clients(target: AwsTarget) -> Clients:
    """Real clients without the SDK's retries (which would sleep for real on 5xx)."""
    session = boto3.Session(
        region_name=target.region, aws_access_key_id="k", aws_secret_access_key="s"
    )
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=5)

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=target.endpoint_url, config=config)

    return Clients(client("cloudformation"), client("s3"), client("sts"), client("dynamodb"))


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_each_kind_of_foreign_answer_names_the_call_and_the_endpoint(
    answering: tuple[str, dict[str, str]], answer: str
) -> None:
    endpoint, choice = answering
    choice["answer"] = answer
    gateway = StackGateway(
        one_attempt_clients(AwsTarget("us-east-1", None, endpoint)).cloudformation
    )

    with pytest.raises(AwsCallError) as caught:
        gateway.describe("disa-dev")

    assert caught.value.failure is EXPECTED[answer]
    assert caught.value.exit_code == 4
    assert f"describe stack disa-dev: cloudformation DescribeStacks at {endpoint}: " in (
        caught.value.message
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_html_page_for_an_endpoint_exits_4_naming_it(
    run: Cli, clock: FakeClock, answering: tuple[str, dict[str, str]]
) -> None:
    endpoint, choice = answering
    choice["answer"] = "HTTP 500 with an HTML page"
    edge = Edge(make_clients=one_attempt_clients, clock=clock, sleep=clock.sleep)

    result = run("package", "--env", "dev", "--endpoint-url", endpoint, edge=edge)

    assert result.exit_code == 4, result.output
    assert (
        f"error: identify the caller: sts GetCallerIdentity at {endpoint}: server error: "
        "HTTP 500 (Internal Server Error)" in result.stderr
    )
    assert "bug" not in result.stderr


def test_a_refused_connection_exits_2_naming_the_endpoint(run: Cli, clock: FakeClock) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    edge = Edge(make_clients=one_attempt_clients, clock=clock, sleep=clock.sleep)

    result = run("package", "--env", "dev", "--endpoint-url", endpoint, edge=edge)

    assert result.exit_code == 2, result.output
    assert f"sts GetCallerIdentity at {endpoint}: unreachable: Could not connect" in result.stderr
    assert "hint: check the endpoint" in result.stderr


def test_a_foreign_exception_raised_outside_botocore_stays_a_bug() -> None:
    class Broken:
        meta = boto3.client("cloudformation", region_name="us-east-1").meta

        def describe_stacks(self, **_: Any) -> Any:
            raise KeyError("ours")

    with pytest.raises(KeyError):
        StackGateway(Broken()).describe("disa-dev")
    assert not issubclass(KeyError, DeployError)
