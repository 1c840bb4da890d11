"""What escrow needs from bank (move tokens between accounts and its module account), from
distribution (the take rate funds the community pool), and the payout limits other modules
register (the market's usage part: only reported blocks are paid)."""

from __future__ import annotations

from typing import Protocol

from chain.coins import Coins
from chain.context import Context
from chain.store import KVStore


class BankKeeper(Protocol):
    def send(self, ctx: Context, sender: bytes, recipient: bytes, amount: Coins) -> None: ...

    def balance(self, store: KVStore, address: bytes, denom: str) -> int: ...


class CommunityPool(Protocol):
    def fund_community_pool(self, ctx: Context, sender: bytes, amount: int) -> None:
        """Move amount (bond denom) from sender into the community pool."""
        ...

    def denom(self, store: KVStore) -> str:
        """The only denom the community pool takes (the bond denom)."""
        ...


class PaymentRecord(Protocol):
    @property
    def owner(self) -> bytes: ...

    @property
    def dseq(self) -> int: ...

    @property
    def payment_id(self) -> str: ...

    @property
    def rate(self) -> int: ...

    @property
    def accrued(self) -> int: ...

    @property
    def paid(self) -> int: ...

    @property
    def taken(self) -> int: ...


class PayoutLimit(Protocol):
    def payable(self, store: KVStore, payment: PaymentRecord) -> int | None:
        """The most a withdraw may pay out of payment now (None: no limit of this hook's)."""
        ...
