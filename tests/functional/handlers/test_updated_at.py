"""Every handler write stamps updated_at in Step Functions' $$.State.EnteredTime shape, the
value the state machine's record states write, so the attribute reads and sorts alike."""

from __future__ import annotations

import re

from disa_common import model
from disa_init_process.handler import lambda_handler as init_process
from disa_process.handler import lambda_handler as process
from disa_retry.handler import lambda_handler as retry
from handler_support import FakeContext, get_item, put_due, put_message

ENTERED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def updated_at(ddb, key: str) -> str:
    return str(get_item(ddb, key)[model.UPDATED_AT]["S"])


def test_invalid_mark_and_claim_and_retry_writes_share_the_shape(
    container, ddb, stream, topic, alarm, state_machine
) -> None:
    put_message(ddb, "invalid", {"S": ""})
    put_message(ddb, "claimed")
    put_due(ddb, "redriven", attempts=1)
    put_due(ddb, "exhausted", attempts=5)

    init_process(stream.event(), FakeContext(), container)
    process({"id": "claimed", "run": 1, "attempt": 1}, FakeContext(), container)
    retry({}, FakeContext(), container)

    for key in ("invalid", "claimed", "redriven", "exhausted"):
        assert ENTERED_TIME.fullmatch(updated_at(ddb, key)), key
