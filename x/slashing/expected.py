"""What slashing needs from staking: find validators, read self-delegations, slash, jail."""

from __future__ import annotations

from typing import Protocol

from chain.context import Context
from chain.store import KVStore


class Validator(Protocol):
    """The parts of a staking validator slashing reads."""

    @property
    def operator(self) -> bytes: ...

    @property
    def consensus_pubkey(self) -> bytes: ...

    @property
    def jailed(self) -> bool: ...

    @property
    def tokens(self) -> int: ...

    @property
    def min_self_delegation(self) -> int: ...

    @property
    def is_unbonded(self) -> bool:
        """Out of the set for longer than the unbonding period: nothing left to slash."""
        ...

    def tokens_for_shares(self, shares: int) -> int: ...


class StakingKeeper(Protocol):
    def validator(self, store: KVStore, operator: bytes) -> Validator | None: ...

    def validator_by_consensus_address(self, store: KVStore, address: bytes) -> Validator | None:
        """The validator whose consensus key hashes to address (votes and evidence name it so)."""
        ...

    def delegation_shares(self, store: KVStore, delegator: bytes, operator: bytes) -> int: ...

    def jail(self, ctx: Context, operator: bytes) -> None:
        """Take the validator out of the candidate set; end-block then unbonds it."""
        ...

    def unjail(self, ctx: Context, operator: bytes) -> None: ...

    def slash(
        self, ctx: Context, operator: bytes, infraction_height: int, power: int, fraction: int
    ) -> int:
        """Burn fraction (18 decimals) of power's stake, unbondings and redelegations since
        infraction_height first; returns the tokens burned."""
        ...
