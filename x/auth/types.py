"""Accounts and the auth params."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chain.coins import DecPrice
from chain.crypto import PublicKey
from chain.errors import INVALID_REQUEST
from chain.tx import MAX_GAS_LIMIT

FEE_DENOM = "ugpc"


@dataclass(frozen=True)
class Account:
    """A numbered address; its key is recorded on its first signature."""

    address: bytes
    account_number: int
    sequence: int = 0
    public_key: PublicKey | None = None


@dataclass(frozen=True)
class Params:
    """Consensus rules for transactions; every validator enforces exactly these."""

    max_memo_characters: int = 256
    max_tx_bytes: int = 65536
    max_tx_gas: int = 10_000_000
    max_msgs_per_tx: int = 32
    min_gas_price: DecPrice = field(default_factory=lambda: DecPrice(FEE_DENOM, 0))

    def to_json(self) -> dict[str, Any]:
        return {
            "max_memo_characters": str(self.max_memo_characters),
            "max_tx_bytes": str(self.max_tx_bytes),
            "max_tx_gas": str(self.max_tx_gas),
            "max_msgs_per_tx": str(self.max_msgs_per_tx),
            "min_gas_price": str(self.min_gas_price),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        """Parse genesis params; raises INVALID_REQUEST for a limit outside its range."""
        defaults = cls()
        params = cls(
            max_memo_characters=int(data.get("max_memo_characters", defaults.max_memo_characters)),
            max_tx_bytes=int(data.get("max_tx_bytes", defaults.max_tx_bytes)),
            max_tx_gas=int(data.get("max_tx_gas", defaults.max_tx_gas)),
            max_msgs_per_tx=int(data.get("max_msgs_per_tx", defaults.max_msgs_per_tx)),
            min_gas_price=DecPrice.parse(str(data["min_gas_price"]))
            if "min_gas_price" in data
            else defaults.min_gas_price,
        )
        for name in ("max_memo_characters", "max_tx_bytes", "max_tx_gas", "max_msgs_per_tx"):
            value = getattr(params, name)
            if not 0 <= value <= MAX_GAS_LIMIT:
                raise INVALID_REQUEST(f"auth.params.{name} {value} is outside 0..2^63-1")
        if params.max_msgs_per_tx < 1:
            raise INVALID_REQUEST("auth.params.max_msgs_per_tx must be at least 1")
        return params
