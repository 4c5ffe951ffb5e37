"""Patch: EventBridge ``rate(...)`` schedules fire.

What moto lacks: it stores scheduled rules and their targets but never runs them.

What the patch does: a background thread looks at every rule with a ``rate(N unit)``
expression once a second; an ENABLED rule fires one period after it was first seen and every
period after that, invoking each Lambda target asynchronously (a thread per invocation, as
EventBridge does) with the target's ``Input`` or a "Scheduled Event". A DISABLED rule does not
fire and restarts its period when enabled again. ``DISA_LOCAL_SCHEDULE_SCALE`` (default 1)
multiplies every period, so tests can run "rate(5 minutes)" every few seconds.
``cron(...)`` expressions are not run (logged once).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.events.models import events_backends

from deployer.local.patches import Installer, Patch
from deployer.local.serial import MOTO_LOCK

LOG = logging.getLogger("disa.local.schedules")
TICK_SECONDS = 0.25
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str | None) -> float | None:
    """``rate(5 minutes)`` → 300.0; None for anything that is not a rate expression."""
    match = _RATE.match((expression or "").strip())
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def schedule_scale() -> float:
    return float(os.environ.get("DISA_LOCAL_SCHEDULE_SCALE", "1"))


class Scheduler:
    def __init__(self, scale: float, clock: Any = time.monotonic) -> None:
        self.scale = scale
        self.clock = clock
        self.next_fire: dict[str, float] = {}  # rule ARN → monotonic time of its next run
        self._warned: set[str] = set()

    def due_rules(self, rules: list[Any]) -> list[Any]:
        """Rules to fire now; keeps each enabled rule's next time, forgets the others."""
        now, due, seen = self.clock(), [], set()
        for rule in rules:
            period = rate_seconds(rule.scheduled_expression)
            if period is None:
                self._warn_unsupported(rule)
                continue
            if rule.state != "ENABLED":
                continue
            seen.add(rule.arn)
            next_fire = self.next_fire.setdefault(rule.arn, now + period * self.scale)
            if now >= next_fire:
                due.append(rule)
                self.next_fire[rule.arn] = now + period * self.scale
        self.next_fire = {arn: t for arn, t in self.next_fire.items() if arn in seen}
        return due

    def _warn_unsupported(self, rule: Any) -> None:
        if rule.scheduled_expression and rule.arn not in self._warned:
            self._warned.add(rule.arn)
            LOG.warning("rule %s: %s is not run locally", rule.name, rule.scheduled_expression)

    def run_forever(self) -> None:
        while True:
            time.sleep(TICK_SECONDS)
            try:
                with MOTO_LOCK:
                    rules = all_rules()
                for rule in self.due_rules(rules):
                    fire(rule)
            except Exception:  # noqa: BLE001 - the scheduler must survive one bad rule
                LOG.exception("scheduler tick failed")


def install(installer: Installer) -> None:
    if installer.settings.start_threads:
        scheduler = Scheduler(schedule_scale())
        threading.Thread(target=scheduler.run_forever, name="scheduler", daemon=True).start()


def all_rules() -> list[Any]:
    rules = []
    for _account_id, regions in list(events_backends.items()):
        for _region, backend in list(regions.items()):
            for bus in list(backend.event_buses.values()):
                rules.extend(list(bus.rules.values()))
    return rules


def scheduled_event(rule: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
    }


def fire(rule: Any) -> None:
    for target in list(rule.targets):
        arn = target.get("Arn", "")
        if ":lambda:" not in arn:
            LOG.warning("rule %s: target %s is not a Lambda function; skipped", rule.name, arn)
            continue
        body = target.get("Input") or json.dumps(scheduled_event(rule))
        LOG.info("rule %s fires %s", rule.name, arn)
        threading.Thread(target=_invoke, args=(arn, body), daemon=True).start()


def _invoke(function_arn: str, body: str) -> None:
    _, _, _, region, account_id, _ = function_arn.split(":", 5)
    try:
        with MOTO_LOCK:
            function = lambda_backends[account_id][region].get_function(function_arn)
            function.invoke(body, {"x-amz-invocation-type": "Event"}, {})
    except Exception:  # noqa: BLE001 - an async invoke has nobody to report to
        LOG.exception("scheduled invoke of %s failed", function_arn)


PATCH = Patch(
    name="schedules",
    requires=(
        ("moto.events.models", "events_backends"),
        ("moto.events.models", "EventsBackend"),
        ("moto.awslambda.models", "lambda_backends"),
        ("moto.awslambda.models", "LambdaBackend.get_function"),
        ("moto.awslambda.models", "LambdaFunction.invoke"),
    ),
    fields={
        "Rule": (
            "scheduled_expression",
            "state",
            "targets",
            "arn",
            "name",
            "account_id",
            "region_name",
        ),  # fmt: skip
        "EventsBackend": ("event_buses",),
        "EventBus": ("rules",),
    },
    install=install,
)
