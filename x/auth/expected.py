"""What the ante checks need from other modules."""

from __future__ import annotations

from typing import Protocol

from chain.coins import Coins
from chain.context import Context
from chain.store import KVStore


class FeePayer(Protocol):
    def pay_fee(self, ctx: Context, payer: bytes, fee: Coins) -> None:
        """Move the fee from payer to the fee collector; raises INSUFFICIENT_FUNDS."""
        ...

    def subtract(self, store: KVStore, address: bytes, amount: Coins) -> None:
        """Take amount from address's balance; raises INSUFFICIENT_FUNDS."""
        ...
