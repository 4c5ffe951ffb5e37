"""The original test script again, on a system deployed with ``WorkflowType=EXPRESS``.

The same tests as test_e2e_local.py (success, Invalid, the same record delivered twice,
failure then the scheduled retry, the CLI's send and status, the circuit breaker), each
run here against a second private emulator whose state machine is an Express workflow.
The emulator starts every StartExecution of an Express machine, a repeated name included,
as AWS does, so "delivered twice" really runs two executions of the run: one publishes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import deployed_system
from tests.e2e.support import System
from tests.e2e.test_e2e_local import (  # noqa: F401  (collected again, on this system)
    inbox,
    test_cli_send_and_status_report_the_message,
    test_failure_then_scheduled_retry_succeeds,
    test_item_without_message_is_invalid_and_never_published,
    test_message_is_published_and_successful,
    test_open_circuit_defers_without_an_attempt_then_the_retry_sends,
    test_same_item_delivered_twice_is_published_once,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    state_dir = tmp_path_factory.mktemp("e2e-express-emulator")
    with deployed_system(state_dir, "--parameter", "WorkflowType=EXPRESS") as deployed:
        yield deployed


def test_the_state_machine_is_an_express_workflow(system: System) -> None:
    machine = system.client("stepfunctions").describe_state_machine(
        stateMachineArn=system.outputs["StateMachineArn"]
    )
    assert machine["type"] == "EXPRESS"
