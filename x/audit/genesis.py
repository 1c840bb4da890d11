"""audit genesis: every (provider, auditor) record, so an exported chain imports to the
same audit state. Records may name providers deleted since (as Akash keeps them)."""

from __future__ import annotations

from typing import Any

from chain.context import Context
from chain.errors import AppError
from chain.store import KVStore
from x.audit import msgs
from x.audit.errors import INVALID_GENESIS
from x.audit.keeper import AuditKeeper
from x.audit.types import AuditedAttributes


def default_genesis() -> dict[str, Any]:
    return {"attributes": []}


def parse_genesis(state: dict[str, Any]) -> list[AuditedAttributes]:
    """Raises INVALID_GENESIS naming the first bad record."""
    entries = state.get("attributes", [])
    if not isinstance(entries, list):
        raise INVALID_GENESIS("audit.attributes is not a list")
    records: dict[tuple[bytes, bytes], AuditedAttributes] = {}
    for index, entry in enumerate(entries):
        where = f"audit.attributes[{index}]"
        try:
            record = AuditedAttributes.from_json(entry)
            msgs.validate_sign(
                msgs.sign_attributes_msg(entry["owner"], entry["auditor"], list(record.attributes))
            )
        except AppError as error:
            raise INVALID_GENESIS(f"{where}: {error.log}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise INVALID_GENESIS(f"{where} is malformed: {error!r}"[:200]) from None
        pair = (record.owner, record.auditor)
        if pair in records:
            raise INVALID_GENESIS(f"{where}: that provider and auditor are listed twice")
        records[pair] = record
    return list(records.values())


def validate_genesis(state: dict[str, Any]) -> None:
    parse_genesis(state)


def init_genesis(ctx: Context, keeper: AuditKeeper, state: dict[str, Any]) -> None:
    for record in parse_genesis(state):
        keeper.set_record(ctx.store, record)


def export_genesis(store: KVStore, keeper: AuditKeeper) -> dict[str, Any]:
    return {"attributes": [record.to_json() for record in keeper.records(store)]}
