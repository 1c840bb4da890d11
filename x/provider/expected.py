"""What the provider module needs from others: bank moves collateral, staking says how
long a deleted provider's collateral stays locked, and the market says whether a provider
still owes tenants something (ProviderObligations, registered in wiring)."""

from __future__ import annotations

from typing import Protocol

from chain.coins import Coins
from chain.context import Context
from chain.store import KVStore


class BankKeeper(Protocol):
    def balance(self, store: KVStore, address: bytes, denom: str) -> int: ...

    def send(self, ctx: Context, sender: bytes, recipient: bytes, amount: Coins) -> None:
        """Raises INSUFFICIENT_FUNDS when sender lacks amount."""
        ...


class UnbondingPeriod(Protocol):
    @property
    def unbonding_blocks(self) -> int: ...


class StakingKeeper(Protocol):
    def params(self, store: KVStore) -> UnbondingPeriod: ...


class ProviderObligations(Protocol):
    """Registered by a module that binds providers to tenants (the market): a provider may
    leave only when every registered one answers None."""

    def has_obligations(self, store: KVStore, provider: bytes) -> str | None:
        """Why provider may not be deleted now (active leases, open bids), or None."""
        ...
