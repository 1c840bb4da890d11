"""slashing genesis: params, every signing info and every missed-block slot, so an exported
chain imports to exactly the same slashing state (JSON shaped as Cosmos SDK's)."""

from __future__ import annotations

from typing import Any

from chain.context import Context
from chain.store import KVStore
from x.slashing.errors import INVALID_GENESIS
from x.slashing.keeper import SlashingKeeper
from x.slashing.types import Params, SigningInfo


def default_genesis() -> dict[str, Any]:
    return {"params": Params().to_json(), "signing_infos": [], "missed_blocks": []}


def _address(text: Any, where: str) -> bytes:
    try:
        address = bytes.fromhex(str(text))
    except ValueError:
        raise INVALID_GENESIS(f"{where} {text!r} is not hex") from None
    if len(address) != 20:
        raise INVALID_GENESIS(f"{where} is {len(address)} bytes, expected 20")
    return address


def _count(value: Any, where: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise INVALID_GENESIS(f"{where} {value!r} is not an integer") from None
    if number < 0:
        raise INVALID_GENESIS(f"{where} is negative")
    return number


def parse_genesis(
    state: dict[str, Any],
) -> tuple[Params, list[SigningInfo], list[tuple[bytes, int]]]:
    """Params, signing infos and (address, slot) missed blocks; raises INVALID_PARAMS or
    INVALID_GENESIS naming the first bad entry."""
    params = Params.from_json(state.get("params", {}))
    infos: dict[bytes, SigningInfo] = {}
    for index, entry in enumerate(state.get("signing_infos", [])):
        where = f"slashing.signing_infos[{index}]"
        if not isinstance(entry, dict):
            raise INVALID_GENESIS(f"{where} is not an object")
        address = _address(entry.get("address"), f"{where}.address")
        if address in infos:
            raise INVALID_GENESIS(f"{where}: {entry['address']} listed twice")
        infos[address] = SigningInfo(
            address=address,
            start_height=_count(entry.get("start_height", 0), f"{where}.start_height"),
            index_offset=_count(entry.get("index_offset", 0), f"{where}.index_offset"),
            missed_blocks_counter=_count(
                entry.get("missed_blocks_counter", 0), f"{where}.missed_blocks_counter"
            ),
            jailed_until=_count(entry.get("jailed_until", 0), f"{where}.jailed_until"),
            tombstoned=entry.get("tombstoned", False) is True,
        )
    missed: list[tuple[bytes, int]] = []
    counted: dict[bytes, int] = {}
    for index, entry in enumerate(state.get("missed_blocks", [])):
        where = f"slashing.missed_blocks[{index}]"
        address = _address(entry.get("address"), f"{where}.address")
        if address not in infos:
            raise INVALID_GENESIS(f"{where}: {entry['address']} has no signing info")
        if address in counted:
            raise INVALID_GENESIS(f"{where}: {entry['address']} listed twice")
        slots: set[int] = set()
        for position, block in enumerate(entry.get("missed_blocks", [])):
            slot = _count(block.get("index"), f"{where}.missed_blocks[{position}].index")
            if slot >= params.signed_blocks_window:
                raise INVALID_GENESIS(
                    f"{where}.missed_blocks[{position}].index {slot} is outside the window"
                )
            if block.get("missed", True) is True:
                slots.add(slot)
        counted[address] = len(slots)
        missed.extend((address, slot) for slot in sorted(slots))
    for address, info in infos.items():
        if counted.get(address, 0) != info.missed_blocks_counter:
            raise INVALID_GENESIS(
                f"{address.hex().upper()}: missed_blocks_counter {info.missed_blocks_counter} "
                f"but {counted.get(address, 0)} missed blocks listed"
            )
    return params, list(infos.values()), missed


def validate_genesis(state: dict[str, Any]) -> None:
    parse_genesis(state)


def init_genesis(ctx: Context, keeper: SlashingKeeper, state: dict[str, Any]) -> None:
    params, infos, missed = parse_genesis(state)
    keeper.set_params(ctx.store, params)
    for info in infos:
        keeper.set_signing_info(ctx.store, info)
    for address, slot in missed:
        keeper.set_missed(ctx.store, address, slot, True)


def export_genesis(store: KVStore, keeper: SlashingKeeper) -> dict[str, Any]:
    grouped: dict[bytes, list[int]] = {}
    for address, slot in keeper.all_missed(store):
        grouped.setdefault(address, []).append(slot)
    return {
        "params": keeper.params(store).to_json(),
        "signing_infos": [info.to_json() for info in keeper.signing_infos(store)],
        "missed_blocks": [
            {
                "address": address.hex().upper(),
                "missed_blocks": [{"index": str(slot), "missed": True} for slot in slots],
            }
            for address, slots in sorted(grouped.items())
        ],
    }
