"""Audit state: one record per (provider, auditor), indexed by auditor."""

from __future__ import annotations

from collections.abc import Iterator

from chain.context import Context
from chain.errors import INTERNAL
from chain.store import KVStore, iterate_prefix
from x.audit import events, keys
from x.audit.expected import ProviderKeeper
from x.audit.types import AuditedAttributes


class AuditKeeper:
    def __init__(self, providers: ProviderKeeper) -> None:
        self._providers = providers

    # --- views ---------------------------------------------------------------------

    @property
    def providers(self) -> ProviderKeeper:
        return self._providers

    def record(self, store: KVStore, owner: bytes, auditor: bytes) -> AuditedAttributes | None:
        raw = store.get(keys.record_key(owner, auditor))
        return AuditedAttributes.decode(raw) if raw is not None else None

    def require(self, store: KVStore, owner: bytes, auditor: bytes) -> AuditedAttributes:
        """The record an index entry names (the index lists only stored records)."""
        found = self.record(store, owner, auditor)
        if found is None:
            raise INTERNAL(f"auditor index names {owner.hex()}/{auditor.hex()}, not stored")
        return found

    def records(self, store: KVStore) -> Iterator[AuditedAttributes]:
        for _, raw in iterate_prefix(store, keys.RECORD_PREFIX):
            yield AuditedAttributes.decode(raw)

    # --- writes --------------------------------------------------------------------

    def set_record(self, store: KVStore, record: AuditedAttributes) -> None:
        """Store record (its attributes sorted by key), or remove it when it has none."""
        key = keys.record_key(record.owner, record.auditor)
        index = keys.auditor_index_key(record.auditor, record.owner)
        if not record.attributes:
            store.delete(key)
            store.delete(index)
            return
        ordered = AuditedAttributes(record.owner, record.auditor, tuple(sorted(record.attributes)))
        store.set(key, ordered.encode())
        store.set(index, b"")

    def sign(self, ctx: Context, owner: bytes, auditor: bytes, attributes: dict[str, str]) -> None:
        """Add attributes to the auditor's record on owner, replacing values of the same keys."""
        current = self.record(ctx.store, owner, auditor)
        merged = dict(current.attributes) if current is not None else {}
        merged.update(attributes)
        self.set_record(ctx.store, AuditedAttributes(owner, auditor, tuple(merged.items())))
        events.emit_attributes_signed(ctx, owner, auditor, sorted(attributes))

    def delete(self, ctx: Context, record: AuditedAttributes, removed: list[str]) -> None:
        gone = set(removed)
        kept = tuple((k, v) for k, v in record.attributes if k not in gone)
        self.set_record(ctx.store, AuditedAttributes(record.owner, record.auditor, kept))
        events.emit_attributes_deleted(ctx, record.owner, record.auditor, sorted(removed))
