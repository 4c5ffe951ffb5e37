"""Patch: the emulator keeps a record of what it holds, so its loss can be counted.

What moto lacks: its state lives only in the process's memory; when the process dies (a
``kill -9``, a crash, a reboot) nothing says what was lost.

What the patch does: a background thread writes ``holdings.json`` in the emulator's state
dir at most every :data:`INTERVAL_SECONDS`, whenever it changed: the emulator's pid, the
number of items in each DynamoDB table, and when it counted them. The launcher
(:mod:`deployer.local.emulator`) reads it after the process is gone and reports "N items
lost". The file is written to a temporary name and renamed, so a reader never sees half of it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from moto.dynamodb.models import dynamodb_backends

from deployer.local.patches import Installer, Patch
from deployer.local.serial import MOTO_LOCK

LOG = logging.getLogger("disa.local.holdings")
HOLDINGS_FILE = "holdings.json"
INTERVAL_SECONDS = 1.0


def count_items() -> dict[str, int]:
    """Items per table, ``<region>/<table>`` (local mode has one account)."""
    counts: dict[str, int] = {}
    for _account, regions in list(dynamodb_backends.items()):
        for region, backend in list(regions.items()):
            for name, table in list(backend.tables.items()):
                counts[f"{region}/{name}"] = len(table)
    return counts


def write_holdings(state_dir: Path, tables: dict[str, int], now: float) -> None:
    record: dict[str, Any] = {"pid": os.getpid(), "recorded_at": now, "tables": tables}
    staging = state_dir / f".{HOLDINGS_FILE}.{os.getpid()}"
    staging.write_text(json.dumps(record), encoding="utf-8")
    staging.replace(state_dir / HOLDINGS_FILE)


def run_forever(state_dir: Path) -> None:
    last: dict[str, int] | None = None
    while True:
        try:
            with MOTO_LOCK:
                tables = count_items()
            if tables != last:
                write_holdings(state_dir, tables, time.time())
                last = tables
        except Exception:  # noqa: BLE001 - the record must not stop the emulator
            LOG.exception("could not record the emulator's holdings")
        time.sleep(INTERVAL_SECONDS)


def install(installer: Installer) -> None:
    if installer.settings.start_threads:
        state_dir = installer.settings.state_dir
        write_holdings(state_dir, {}, time.time())
        args = (state_dir,)
        threading.Thread(target=run_forever, args=args, name="holdings", daemon=True).start()


PATCH = Patch(
    name="holdings",
    requires=(("moto.dynamodb.models", "dynamodb_backends"),),
    fields={"DynamoDBBackend": ("tables",), "Table": ("items", "has_range_key")},
    install=install,
)
