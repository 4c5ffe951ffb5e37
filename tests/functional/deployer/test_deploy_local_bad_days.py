"""The local env on a bad day. `destroy` always ends with the emulator stopped: when the
emulator cannot list or delete the stack (it answers some calls about a failed stack with
another service's error body), destroy says what CloudFormation could not delete and still
stops it, which discards every local resource. And an emulator that stops answering ends a
wait at once: it runs on this machine, so waiting for it cannot help. Real clients on a moto
server; the failures are raised from botocore's own ``before-call`` event."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.parsers import ResponseParserError
from deploy_harness import Cli, FakeClock
from test_deploy_local_env import FakeEmulator, emulator  # noqa: F401  (fixture)

from deployer.gateways.aws import AwsTarget, Clients, make_clients
from deployer.wiring import Edge

FOREIGN_BODY = ResponseParserError(
    "Unable to parse response (not well-formed (invalid token): line 1, column 0), invalid XML"
    ' received. Further retries may succeed:\nb\'{"__type": "ResourceInUseException"}\''
)


def failing(*operations: str, error: Exception = FOREIGN_BODY) -> Callable[[AwsTarget], Clients]:
    """Real clients whose CloudFormation ``operations`` always fail with ``error``."""

    def factory(target: AwsTarget) -> Clients:
        clients = make_clients(target)

        def fail(**_: object) -> None:
            raise error

        for operation in operations:
            clients.cloudformation.meta.events.register(
                f"before-call.cloudformation.{operation}", fail
            )
        return clients

    return factory


@pytest.fixture(autouse=True)
def fresh_moto(emulator: FakeEmulator) -> Iterator[None]:  # noqa: F811
    """In-thread moto servers share one state: leave none behind (a failed delete would)."""
    yield
    request = urllib.request.Request(f"{emulator.endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture
def deployed(run: Cli, clock: FakeClock, emulator: FakeEmulator) -> Cli:  # noqa: F811
    local = Cli(run.project, Edge(emulator=emulator, clock=clock, sleep=clock.sleep), run.env)
    assert local("up").exit_code == 0
    return local


@pytest.mark.parametrize(
    "operations",
    [("ListStackResources", "DeleteStack"), ("DeleteStack",)],
    ids=["cannot list, cannot delete", "cannot delete"],
)
def test_destroy_still_stops_the_emulator_and_says_what_it_could_not_delete(
    deployed: Cli,
    clock: FakeClock,
    emulator: FakeEmulator,  # noqa: F811
    operations: tuple[str, ...],
) -> None:
    edge = Edge(
        make_clients=failing(*operations), emulator=emulator, clock=clock, sleep=clock.sleep
    )

    result = deployed("destroy", "--yes", "--output", "json", edge=edge)

    assert result.exit_code == 0, result.output
    assert "could not delete disa-local through CloudFormation: delete stack" in result.stderr
    assert "cloudformation DeleteStack at http://localhost:" in result.stderr
    assert "stopping the emulator discards disa-local with all local state" in result.stderr
    assert "emulator stopped" in result.stderr
    assert emulator.calls[-1][0] == "stop" and not emulator.running
    summary = json.loads(result.stdout)
    assert summary["details"]["not_deleted"] == ["disa-local"]
    assert summary["exit_code"] == 0


def test_a_refused_destroy_leaves_the_emulator_running(
    deployed: Cli,
    emulator: FakeEmulator,  # noqa: F811
) -> None:
    result = deployed("destroy")  # no --yes and no terminal: refused before anything

    assert result.exit_code == 3, result.output
    assert emulator.running


def test_an_emulator_that_stops_answering_ends_the_wait_at_once(
    run: Cli,
    clock: FakeClock,
    emulator: FakeEmulator,  # noqa: F811
) -> None:
    gone = EndpointConnectionError(endpoint_url=emulator.endpoint)
    edge = Edge(
        make_clients=failing("DescribeStackEvents", error=gone),
        emulator=emulator,
        clock=clock,
        sleep=clock.sleep,
    )

    result = run("up", edge=edge)

    assert result.exit_code == 2, result.output
    assert f"cloudformation DescribeStackEvents at {emulator.endpoint}: unreachable" in (
        result.stderr
    )
    assert clock.sleeps == []  # no back-off: not one pause before giving up
