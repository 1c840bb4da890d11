"""What the ante checks need from other modules."""

from __future__ import annotations

from typing import Protocol

from chain.coins import Coins
from chain.context import Context


class FeePayer(Protocol):
    def pay_fee(self, ctx: Context, payer: bytes, fee: Coins) -> None:
        """Move the fee from payer to the fee collector; raises INSUFFICIENT_FUNDS."""
        ...
