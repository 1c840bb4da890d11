"""What escrow needs from bank: move tokens between accounts and its module account."""

from __future__ import annotations

from typing import Protocol

from chain.coins import Coins
from chain.context import Context
from chain.store import KVStore


class BankKeeper(Protocol):
    def send(self, ctx: Context, sender: bytes, recipient: bytes, amount: Coins) -> None: ...

    def balance(self, store: KVStore, address: bytes, denom: str) -> int: ...
