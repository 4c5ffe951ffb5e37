"""``status``: stack states (root, nested, artifact store), outputs, item counts, dashboard.

Read-only; returns a :class:`StatusReport` that the CLI renders. The messages table is found
from the root stack's ``TableName`` output, else by its contract name
``<project>-<env>-messages``. Counting scans the whole table, so a table that DynamoDB says
holds more than ``count_limit`` items is not counted unless the limit is lifted: a habit of
running ``status`` must not become a full-table read on production. The dashboard's URL
(the root stack's ``DashboardUrl`` output) is the console's, so it is given on AWS only; on
the emulator there is no console to open it in. The two dead-letter queues (stream records
disa_init_process could not handle; deliveries SNS gave up on) are counted, never read:
their messages hold bodies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deployer.gateways.queues import QueueDepth
from deployer.runtime import Runtime

DEFAULT_COUNT_LIMIT = 100_000
DASHBOARD_OUTPUT = "DashboardUrl"
DEAD_LETTER_QUEUES = ("stream-dlq", "subscription-dlq")  # <project>-<env>-<suffix>


@dataclass
class StatusReport:
    stacks: dict[str, str] = field(default_factory=dict)  # path -> status
    outputs: dict[str, str] = field(default_factory=dict)
    items: dict[str, int] | None = None
    items_note: str = "Items: no table"
    dashboard_url: str | None = None  # on AWS only
    dead_letters: dict[str, QueueDepth | None] = field(default_factory=dict)  # None: absent
    endpoint_url: str | None = None  # the emulator's, for the commands status prints


def status(rt: Runtime, count_limit: int = DEFAULT_COUNT_LIMIT) -> StatusReport:
    cfg = rt.config
    report = StatusReport()
    root = rt.stacks.describe(cfg.stack_name)
    store = rt.stacks.describe(cfg.artifact_stack_name)
    report.stacks[cfg.artifact_stack_name] = store.status if store else "absent"
    report.stacks[cfg.stack_name] = root.status if root else "absent"
    if root is not None:
        _add_nested(rt, root.stack_id, cfg.stack_name, report)
        report.outputs = dict(root.outputs)
        table = root.outputs.get("TableName", f"{cfg.project}-{cfg.name}-messages")
        _count_items(rt, table, count_limit, report)
        for suffix in DEAD_LETTER_QUEUES:
            name = f"{cfg.project}-{cfg.name}-{suffix}"
            report.dead_letters[name] = rt.queues.depth(name)
        if not rt.emulated:
            report.dashboard_url = root.outputs.get(DASHBOARD_OUTPUT)
        else:
            report.endpoint_url = rt.endpoint_url
    return report


def _count_items(rt: Runtime, table: str, count_limit: int, report: StatusReport) -> None:
    approximate = rt.table.approximate_item_count(table)
    if approximate is None:
        return
    if count_limit and approximate > count_limit:
        report.items_note = (
            f"Items: about {approximate} (DynamoDB's estimate); not counted by status, which "
            f"would read the whole table: pass --count-limit 0 to count them anyway"
        )
        return
    report.items = rt.table.count_by_status(table)


def _add_nested(rt: Runtime, stack_id: str, path: str, report: StatusReport) -> None:
    for logical_id, nested_id in rt.stacks.nested_stacks(stack_id):
        nested = rt.stacks.describe(nested_id)
        report.stacks[f"{path}/{logical_id}"] = nested.status if nested else "absent"
        _add_nested(rt, nested_id, f"{path}/{logical_id}", report)
