"""The escrow account: one per deployment, integer amounts of one denom (ugpc).

Every token that ever entered an account is in exactly one place: still in `balance`,
`accrued` by its payments but not paid out yet, `transferred` to providers, `taken` by the
take rate, or `refunded` to the owner, so
`deposited == balance + accrued + transferred + taken + refunded` always (the invariant).

`rate` is what the account pays per block in total (the sum of its payments' rates, which
the market adds per lease) and `settled_at` the height up to which that was accrued;
settlement is lazy, on deposit, withdraw and close.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from x.escrow.errors import INVALID_GENESIS, INVALID_PARAMS

DENOM = "ugpc"
BPS_ONE = 10_000
OPEN = "open"
CLOSED = "closed"
STATES = (OPEN, CLOSED)
NEVER = 0


@dataclass(frozen=True)
class Account:
    owner: bytes
    dseq: int
    state: str = OPEN
    balance: int = 0
    deposited: int = 0
    transferred: int = 0
    taken: int = 0
    refunded: int = 0
    rate: int = 0
    settled_at: int = 0
    accrued: int = 0

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def blocks_paid_after_settlement(self) -> int:
        """Whole blocks after settled_at the balance pays at the current rate (0: no rate)."""
        return self.balance // self.rate if self.rate else 0

    def blocks_remaining(self, height: int) -> int:
        """Whole blocks after height the balance still pays: what a tenant asks ("how long
        does my deposit last from now"), counting the blocks accrued since the last
        settlement as spent (0 with no rate or once dry)."""
        if not self.rate or not self.is_open:
            return 0
        return max(0, self.dry_height() - 1 - height)

    def dry_height(self) -> int:
        """The height at which the balance no longer pays a whole block (NEVER: no rate)."""
        if not self.rate or not self.is_open:
            return NEVER
        return self.settled_at + self.blocks_paid_after_settlement() + 1

    def encode(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Account:
        return cls.from_json(json.loads(raw))

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": self.owner.hex().upper(),
            "dseq": str(self.dseq),
            "state": self.state,
            "balance": str(self.balance),
            "deposited": str(self.deposited),
            "transferred": str(self.transferred),
            "taken": str(self.taken),
            "refunded": str(self.refunded),
            "rate": str(self.rate),
            "settled_at": str(self.settled_at),
            "accrued": str(self.accrued),
        }

    @classmethod
    def from_json(cls, data: Any) -> Account:
        """Raises INVALID_GENESIS naming a missing or malformed field."""
        if not isinstance(data, dict):
            raise INVALID_GENESIS("an escrow account must be a JSON object")
        try:
            owner = bytes.fromhex(str(data["owner"]))
            amounts = {
                name: int(str(data.get(name, 0) if name == "accrued" else data[name]))
                for name in (
                    "dseq",
                    "balance",
                    "deposited",
                    "transferred",
                    "taken",
                    "refunded",
                    "rate",
                    "settled_at",
                    "accrued",
                )
            }
            state = str(data["state"])
        except KeyError as missing:
            raise INVALID_GENESIS(f"escrow account lacks {missing}") from None
        except ValueError as error:
            raise INVALID_GENESIS(f"escrow account: {error}") from None
        if len(owner) != 20:
            raise INVALID_GENESIS(f"escrow account owner is {len(owner)} bytes, expected 20")
        negative = sorted(name for name, value in amounts.items() if value < 0)
        if negative:
            raise INVALID_GENESIS(f"escrow account {negative[0]} is negative")
        if state not in STATES:
            raise INVALID_GENESIS(f"escrow account state {state!r} is not one of {STATES}")
        return cls(owner=owner, state=state, **amounts)

    def with_(self, **changes: Any) -> Account:
        return replace(self, **changes)

    def spent(self) -> int:
        """Where the deposits went; equals `deposited` when nothing leaked."""
        return self.balance + self.accrued + self.transferred + self.taken + self.refunded


@dataclass(frozen=True)
class Payment:
    """One lease's claim on an account: `rate` ugpc per block to `provider`; `accrued` is
    what settlements owe it and payouts have not paid yet, `paid` what payouts sent it and
    `taken` what they took for the community pool. payment_id is the market's lease name."""

    owner: bytes
    dseq: int
    payment_id: str
    provider: bytes
    rate: int
    state: str = OPEN
    paid: int = 0
    accrued: int = 0
    taken: int = 0

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def encode(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Payment:
        return cls.from_json(json.loads(raw))

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": self.owner.hex().upper(),
            "dseq": str(self.dseq),
            "payment_id": self.payment_id,
            "provider": self.provider.hex().upper(),
            "rate": str(self.rate),
            "state": self.state,
            "paid": str(self.paid),
            "accrued": str(self.accrued),
            "taken": str(self.taken),
        }

    @classmethod
    def from_json(cls, data: Any) -> Payment:
        """Raises INVALID_GENESIS naming a missing or malformed field."""
        if not isinstance(data, dict):
            raise INVALID_GENESIS("an escrow payment must be a JSON object")
        try:
            owner = bytes.fromhex(str(data["owner"]))
            provider = bytes.fromhex(str(data["provider"]))
            dseq, rate, paid = (int(str(data[name])) for name in ("dseq", "rate", "paid"))
            accrued, taken = (int(str(data.get(name, 0))) for name in ("accrued", "taken"))
            payment_id, state = str(data["payment_id"]), str(data["state"])
        except KeyError as missing:
            raise INVALID_GENESIS(f"escrow payment lacks {missing}") from None
        except ValueError as error:
            raise INVALID_GENESIS(f"escrow payment: {error}") from None
        if len(owner) != 20 or len(provider) != 20:
            raise INVALID_GENESIS("escrow payment owner and provider must be 20 bytes")
        if min(dseq, rate, paid, accrued, taken) < 0 or not payment_id or state not in STATES:
            raise INVALID_GENESIS(f"escrow payment {payment_id!r} is malformed")
        return cls(owner, dseq, payment_id, provider, rate, state, paid, accrued, taken)

    def with_(self, **changes: Any) -> Payment:
        return replace(self, **changes)


@dataclass(frozen=True)
class Params:
    """take_rate_bps: the share of every payout to a provider that goes to the community
    pool, in basis points (rounded down)."""

    take_rate_bps: int = 200

    def to_json(self) -> dict[str, Any]:
        return {"take_rate_bps": self.take_rate_bps}

    def take(self, amount: int) -> int:
        return amount * self.take_rate_bps // BPS_ONE

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        """Missing fields take their defaults; raises INVALID_PARAMS naming a bad field."""
        if not isinstance(data, dict):
            raise INVALID_PARAMS("params must be a JSON object")
        unknown = sorted(set(data) - {"take_rate_bps"})
        if unknown:
            raise INVALID_PARAMS(f"unknown field {unknown[0]!r}")
        raw = data.get("take_rate_bps", cls().take_rate_bps)
        try:
            rate = int(str(raw))
        except ValueError:
            raise INVALID_PARAMS(f"take_rate_bps {str(raw)[:40]!r} is not an integer") from None
        if not 0 <= rate <= BPS_ONE:
            raise INVALID_PARAMS(f"take_rate_bps must be 0..{BPS_ONE}, got {rate}")
        return cls(take_rate_bps=rate)
