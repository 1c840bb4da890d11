"""audit invariant: the by-auditor index lists exactly the stored records."""

from __future__ import annotations

from chain.module import Invariant
from chain.store import KVStore, iterate_prefix
from x.audit import keys
from x.audit.keeper import AuditKeeper


def invariants(keeper: AuditKeeper) -> list[Invariant]:
    def auditor_index(store: KVStore) -> str | None:
        expected = {
            keys.auditor_index_key(record.auditor, record.owner) for record in keeper.records(store)
        }
        indexed = {key for key, _ in iterate_prefix(store, keys.AUDITOR_INDEX_PREFIX)}
        if indexed != expected:
            return (
                f"auditor index: {len(indexed - expected)} stale, "
                f"{len(expected - indexed)} missing entries"
            )
        return None

    return [Invariant("audit/auditor-index", auditor_index)]
