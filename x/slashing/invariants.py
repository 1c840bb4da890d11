"""slashing invariants: each window's counter matches its missed slots; tombstoned
validators stay jailed."""

from __future__ import annotations

from chain.module import Invariant
from chain.store import KVStore
from x.slashing.keeper import SlashingKeeper


def invariants(keeper: SlashingKeeper) -> list[Invariant]:
    def missed_blocks(store: KVStore) -> str | None:
        window = keeper.params(store).signed_blocks_window
        counts: dict[bytes, int] = {}
        for address, slot in keeper.all_missed(store):
            if slot >= window:
                return f"{address.hex().upper()} missed slot {slot} outside the window {window}"
            counts[address] = counts.get(address, 0) + 1
        for info in keeper.signing_infos(store):
            listed = counts.pop(info.address, 0)
            if info.missed_blocks_counter != listed:
                return (
                    f"{info.address.hex().upper()}: counter {info.missed_blocks_counter}, "
                    f"{listed} missed slots"
                )
        if counts:
            return f"missed slots without signing info for {min(counts).hex().upper()}"
        return None

    def tombstoned_jailed(store: KVStore) -> str | None:
        for info in keeper.signing_infos(store):
            if not info.tombstoned:
                continue
            validator = keeper.staking.validator_by_consensus_address(store, info.address)
            if validator is not None and not validator.jailed:
                return f"tombstoned validator {info.address.hex().upper()} is not jailed"
        return None

    return [
        Invariant("slashing/missed-blocks", missed_blocks),
        Invariant("slashing/tombstoned-jailed", tombstoned_jailed),
    ]
