"""What the market's usage part needs from other modules: provider counts reputation and
slashes collateral, escrow settles and hands back what nobody reported, distribution
takes the community pool's share of a slash, bank pays the tenant's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from chain.coins import Coin, Coins
from chain.context import Context
from chain.store import KVStore

# Moves a slashed coin out of the source (the collateral account) to its recipients.
PayOut = Callable[[Context, bytes, Coin], None]


class ReputationKeeper(Protocol):
    def record_lease_won(self, store: KVStore, provider: bytes) -> None: ...

    def record_lease_completed(self, store: KVStore, provider: bytes) -> None: ...

    def record_lease_failed(self, store: KVStore, provider: bytes) -> None: ...

    def record_report_on_time(self, store: KVStore, provider: bytes) -> None: ...

    def slash_collateral(
        self, ctx: Context, owner: bytes, fraction_bps: int, pay_out: PayOut
    ) -> int:
        """Take fraction_bps of owner's collateral through pay_out; the amount taken."""
        ...


class PaymentView(Protocol):
    @property
    def rate(self) -> int: ...

    @property
    def accrued(self) -> int: ...

    @property
    def paid(self) -> int: ...

    @property
    def taken(self) -> int: ...


class PaymentRecord(PaymentView, Protocol):
    @property
    def owner(self) -> bytes: ...

    @property
    def dseq(self) -> int: ...

    @property
    def payment_id(self) -> str: ...


class EscrowKeeper(Protocol):
    def payment(
        self, store: KVStore, owner: bytes, dseq: int, payment_id: str
    ) -> PaymentView | None: ...

    def settle(self, ctx: Context, owner: bytes, dseq: int) -> object:
        """Accrue every open payment of the account up to now."""
        ...

    def return_accrued(
        self, ctx: Context, owner: bytes, dseq: int, payment_id: str, amount: int
    ) -> None:
        """Move amount of what the payment accrued back to the account's balance."""
        ...


class CommunityPool(Protocol):
    def fund_community_pool(self, ctx: Context, sender: bytes, amount: int) -> None: ...

    def denom(self, store: KVStore) -> str:
        """The only denom the community pool takes (the bond denom)."""
        ...


class BankKeeper(Protocol):
    def send(self, ctx: Context, sender: bytes, recipient: bytes, amount: Coins) -> None: ...
