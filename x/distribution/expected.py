"""What distribution needs from bank and staking: views of validators and delegations, and
the token moves of the reward pools."""

from __future__ import annotations

from typing import Protocol

from chain.coins import Coins
from chain.context import Context
from chain.store import KVStore


class BankKeeper(Protocol):
    @property
    def fee_collector(self) -> bytes:
        """The module account every fee is paid into."""
        ...

    def balance(self, store: KVStore, address: bytes, denom: str) -> int: ...

    def supply_of(self, store: KVStore, denom: str) -> int: ...

    def send(self, ctx: Context, sender: bytes, recipient: bytes, amount: Coins) -> None: ...

    def mint(self, store: KVStore, address: bytes, amount: Coins) -> None:
        """Create new tokens at address; supply grows with them."""
        ...


class CommissionView(Protocol):
    @property
    def rate(self) -> int:
        """The validator's cut of its rewards, 18-decimal fixed point (10**18 is 100%)."""
        ...


class ValidatorView(Protocol):
    @property
    def operator(self) -> bytes: ...

    @property
    def shares(self) -> int:
        """All delegator shares issued by the validator (slashing changes tokens, not these)."""
        ...

    @property
    def commission(self) -> CommissionView: ...


class StakingParamsView(Protocol):
    @property
    def bond_denom(self) -> str: ...


class StakingKeeper(Protocol):
    def params(self, store: KVStore) -> StakingParamsView: ...

    def validator(self, store: KVStore, operator: bytes) -> ValidatorView | None: ...

    def validator_by_consensus_address(
        self, store: KVStore, address: bytes
    ) -> ValidatorView | None: ...

    def delegation_shares(self, store: KVStore, delegator: bytes, operator: bytes) -> int: ...

    def delegations_of(self, store: KVStore, delegator: bytes) -> list[tuple[bytes, int]]:
        """(operator, shares) of one delegator, in operator order."""
        ...

    def all_delegations(self, store: KVStore) -> list[tuple[bytes, bytes, int]]:
        """(delegator, operator, shares) for every delegation; genesis and invariants only."""
        ...
