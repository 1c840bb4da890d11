"""What escrow needs from bank (move tokens between accounts and its module account) and
from distribution (the take rate funds the community pool)."""

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
