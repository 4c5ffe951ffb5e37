"""Re-driving an item: the claim that leases it to its request's next run, and that run's start.

Two callers re-drive items, and they share this module so that they can race on one item
and only one of them wins: disa_retry, on its schedule, for a due row of the retry index;
and ``disa-deploy redrive``, for an operator, which loads this module from the project tree
as it loads the item model. Same claim, same execution naming, same start.

The claim is one conditional UpdateItem. It leases the item to run + 1: Retrying, in the
retry index, due again only when the lease ends (RETRY_LEASE_SECONDS), with the request's
token. An operator's claim also writes the item's index shard, since an Exhausted item
left the index; the schedule's row is in the index already, and its claim leaves the
shard as it is. It holds only while the item is still what the caller saw, and always
at the run it saw, so a stale view (an older run, an overwrite's new request) never wins:

- the schedule (:func:`due_claim`) saw an index row: the item must still be due, in Failure,
  or in Retrying or Processing with a lease that ran out (disa_process's claim is a lease
  too), at the row's run. The row holds no token, so the
  claim returns the item's (``ALL_NEW``);
- an operator (:func:`operator_claim`) read the item: it must still be in the status read
  (Failure, or Exhausted), at the run and with the request token read. Nothing comes back
  (``NONE``), so a caller that may not read message bodies never gets one.

Attempts: a claim never charges one (disa_process's claim does). From Failure the count is
kept, so an operator's re-drive before the backoff is the attempt the schedule would have
made, only sooner. From Exhausted the claim sets ``attempts`` to 0: a fresh budget of
MaxAttempts, since the operator says the cause is fixed. Either way, if the run never starts
(a crash, a refused StartExecution) the lease runs out and the schedule re-drives the item
with the budget the claim left; no revert is needed.

This module never logs and never judges a failure: it returns what happened (a
:class:`Lease`, or None when the item moved on; True or False for a start) and raises every
AWS error but the two expected answers (the failed condition, ExecutionAlreadyExists). The
function logs; the tool renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from disa_common import kit, model
from disa_common.kit import Deps
from disa_common.runs import start_item_run

# The schedule's view: the row must still tell the truth about the item (due, waiting for
# its retry, or holding a lease, a re-drive's or disa_process's, that ran out, at the row's
# run). An item that moved on (Successful, a newer run, a new request) is left alone.
DUE = "#status IN (:failure, :retrying, :processing) AND #run = :run AND #next <= :due"
# An operator's view: the item as read (status, run, request). An item written before
# request tokens existed has no token attribute.
AS_READ = "#status = :status AND #run = :run AND #request = :request"
AS_READ_UNTOKENED = "#status = :status AND #run = :run AND attribute_not_exists(#request)"

# What an operator may re-drive: a failure (before it is due) or an exhausted item.
REDRIVABLE = (model.Status.FAILURE, model.Status.EXHAUSTED)


@dataclass(frozen=True)
class Claim:
    """What a claim must still find, and what it grants."""

    key: str
    run: int  # the run the item must still be at
    attempts: int  # attempts consumed, as seen
    condition: str
    values: Mapping[str, Any] = field(default_factory=dict)  # the condition's values
    request: str | None = None  # the token as read; None: the claim returns it
    fresh_budget: bool = False  # attempts back to 0 (a re-drive from Exhausted)
    reindex: bool = False  # write the retry shard (the item may have left the index)


@dataclass(frozen=True)
class Lease:
    """An item leased to run ``run`` of request ``request``, whose publish is ``attempt``."""

    key: str
    request: str
    run: int
    attempt: int

    @property
    def execution(self) -> str:
        return model.execution_name(self.key, self.request, self.run)


def due_values(run: int, now: int) -> dict[str, Any]:
    """The values of DUE for a row at ``run``, due at or before ``now`` (epoch seconds)."""
    return {
        ":failure": kit.s(model.Status.FAILURE),
        ":retrying": kit.s(model.Status.RETRYING),
        ":processing": kit.s(model.Status.PROCESSING),
        ":run": kit.n(run),
        ":due": kit.n(now),
    }


def due_claim(key: str, run: int, attempts: int, now: int) -> Claim:
    """The schedule's claim of a due retry-index row."""
    return Claim(key, run, attempts, DUE, due_values(run, now))


def operator_claim(
    key: str, status: model.Status, run: int, attempts: int, request: str | None
) -> Claim:
    """An operator's claim of an item read in ``status`` (one of REDRIVABLE), at ``run``,
    with ``request`` (None: an item from before request tokens, named by the legacy one)."""
    if status not in REDRIVABLE:
        raise ValueError(f"an operator re-drives only {', '.join(REDRIVABLE)} items, not {status}")
    values = {":status": kit.s(status), ":run": kit.n(run)}
    condition = AS_READ_UNTOKENED if request is None else AS_READ
    fresh = status is model.Status.EXHAUSTED
    token = model.legacy_token(key) if request is None else request
    return Claim(key, run, attempts, condition, values, token, fresh_budget=fresh, reindex=True)


def claim(deps: Deps, wanted: Claim) -> Lease | None:
    """Lease the item to its next run; None if it is no longer what ``wanted`` saw."""
    settings = deps.settings
    lease_end = int(deps.clock()) + settings.retry_lease_seconds
    values: dict[str, Any] = {
        **wanted.values,
        ":retrying": kit.s(model.Status.RETRYING),
        ":next_run": kit.n(wanted.run + 1),
        ":lease_end": kit.n(lease_end),
        ":now": kit.s(deps.now_iso()),
    }
    update = "SET #status = :retrying, #run = :next_run, #next = :lease_end, #updated = :now,"
    if wanted.reindex:
        update += " #shard = :shard,"
        values[":shard"] = kit.s(model.retry_shard(wanted.key, settings.retry_shards))
    update += " #request = "
    if wanted.request is None:
        update += "if_not_exists(#request, :legacy)"
        values[":legacy"] = kit.s(model.legacy_token(wanted.key))
    else:
        update += ":request"
        values[":request"] = kit.s(wanted.request)
    if wanted.fresh_budget:
        update += ", #attempts = :zero"
        values[":zero"] = kit.n(0)
    # ALL_NEW, not UPDATED_NEW, when the token must come back: whether an attribute SET to
    # the value it already holds counts as "updated" is not documented (moto says no).
    returns = "ALL_NEW" if wanted.request is None else "NONE"
    write = kit.update_item(deps, wanted.key, update, wanted.condition, values, returns)
    if not write.applied:
        return None
    request = wanted.request or str(write.attributes[model.REQUEST]["S"])
    attempts = 0 if wanted.fresh_budget else wanted.attempts
    return Lease(wanted.key, request, wanted.run + 1, attempts + 1)


def start(deps: Deps, lease: Lease) -> bool:
    """Start the leased run's execution; False if it already exists (a repeated start)."""
    return start_item_run(deps, lease.key, lease.request, lease.run, lease.attempt)
