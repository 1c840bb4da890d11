"""usage invariants: exactly the active leases have a report schedule, and the due index
lists exactly each schedule's due height."""

from __future__ import annotations

from chain.module import Invariant
from chain.store import KVStore, iterate_prefix
from x.market import keys, usage_keys
from x.market.types import LEASE_ACTIVE, state_byte
from x.market.usage_keeper import UsageKeeper


def invariants(keeper: UsageKeeper) -> list[Invariant]:
    def schedules(store: KVStore) -> str | None:
        active_prefix = keys.LEASE_STATE_PREFIX + state_byte(LEASE_ACTIVE)
        active = {key[len(active_prefix) :] for key, _ in iterate_prefix(store, active_prefix)}
        trackers = list(keeper.trackers(store))
        tracked = {tracker.lease.key for tracker in trackers}
        if tracked != active:
            return (
                f"{len(active - tracked)} active leases without a usage tracker, "
                f"{len(tracked - active)} trackers of leases not active"
            )
        wanted = {usage_keys.due_key(tracker.due, tracker.lease.key) for tracker in trackers}
        indexed = keeper.due_index(store)
        if indexed != wanted:
            return (
                f"due index: {len(indexed - wanted)} stale, {len(wanted - indexed)} missing entries"
            )
        return None

    return [Invariant("usage/schedules", schedules)]
