"""Params and per-validator reward records; every amount is an integer.

Rates are 18-decimal fixed-point integers (as Cosmos SDK's Dec and staking's commission).
The reward per share is fixed point too, scaled by REWARD_SCALE = 10**27: with shares near
token amounts (≤ 10**18 ugpc), the truncation of one block's increment costs the delegators
of a validator less than one ugpc together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from chain.coins import DEC_ONE, format_dec, parse_dec
from chain.crypto import module_address
from chain.errors import INVALID_REQUEST

RATE_ONE = DEC_ONE
REWARD_SCALE: int = 10**27
DISTRIBUTION_NAME = "distribution"
DISTRIBUTION = module_address(DISTRIBUTION_NAME)


def parse_rate(text: str, field_name: str) -> int:
    """Parse a decimal like "0.07" into an 18-decimal integer; raises INVALID_REQUEST."""
    return parse_dec(text, field_name, INVALID_REQUEST, "0.07")


format_rate = format_dec


def parse_count(value: Any, field_name: str) -> int:
    """A non-negative integer written as a JSON string or number; raises INVALID_REQUEST."""
    text = str(value)
    if not text.isascii() or not text.isdigit():
        raise INVALID_REQUEST(f"{field_name} {value!r} is not a non-negative integer")
    return int(text)


@dataclass(frozen=True)
class Params:
    """Inflation: each rewarded block mints supply * inflation_rate / blocks_per_year,
    rounded down. community_tax of every block's pot (provision and fees) goes to the
    community pool before the signers share the rest (Cosmos's default, 2%)."""

    inflation_rate: int = 7 * RATE_ONE // 100
    blocks_per_year: int = 6_311_520  # 5-second blocks
    community_tax: int = 2 * RATE_ONE // 100

    def provision(self, supply: int) -> int:
        """The tokens one block mints, rounded down."""
        return supply * self.inflation_rate // (RATE_ONE * self.blocks_per_year)

    def to_validators(self, pot: int) -> int:
        """What the signers share of a block's pot: all but the community tax, whose
        rounding favours the pool (as Cosmos truncates the validators' multiple)."""
        return pot * (RATE_ONE - self.community_tax) // RATE_ONE

    def to_json(self) -> dict[str, str]:
        return {
            "inflation_rate": format_rate(self.inflation_rate),
            "blocks_per_year": str(self.blocks_per_year),
            "community_tax": format_rate(self.community_tax),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        """Raises INVALID_REQUEST naming the field when a value is malformed or out of range."""
        defaults = cls()
        rate = defaults.inflation_rate
        if "inflation_rate" in data:
            rate = parse_rate(str(data["inflation_rate"]), "distribution.params.inflation_rate")
        blocks = defaults.blocks_per_year
        if "blocks_per_year" in data:
            blocks = parse_count(data["blocks_per_year"], "distribution.params.blocks_per_year")
        tax = defaults.community_tax
        if "community_tax" in data:
            tax = parse_rate(str(data["community_tax"]), "distribution.params.community_tax")
        if rate > RATE_ONE:
            raise INVALID_REQUEST("distribution.params.inflation_rate cannot exceed 1")
        if blocks <= 0:
            raise INVALID_REQUEST("distribution.params.blocks_per_year must be positive")
        if tax > RATE_ONE:
            raise INVALID_REQUEST("distribution.params.community_tax cannot exceed 1")
        return cls(inflation_rate=rate, blocks_per_year=blocks, community_tax=tax)


@dataclass(frozen=True)
class ValidatorRewards:
    """One validator's reward accounts.

    reward_per_share: cumulative delegator reward per share since the validator began,
    scaled by REWARD_SCALE; it only grows.
    outstanding: tokens held for its delegators and not yet paid; at least the sum of
    their pending rewards, the difference being rounding dust.
    commission: the operator's accumulated, unwithdrawn commission.
    """

    reward_per_share: int = 0
    outstanding: int = 0
    commission: int = 0

    def to_json(self) -> dict[str, str]:
        return {
            "reward_per_share": str(self.reward_per_share),
            "outstanding": str(self.outstanding),
            "commission": str(self.commission),
        }

    def encode(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "validator rewards") -> ValidatorRewards:
        return cls(
            reward_per_share=parse_count(
                data.get("reward_per_share", 0), f"{where}.reward_per_share"
            ),
            outstanding=parse_count(data.get("outstanding", 0), f"{where}.outstanding"),
            commission=parse_count(data.get("commission", 0), f"{where}.commission"),
        )

    @classmethod
    def decode(cls, raw: bytes) -> ValidatorRewards:
        return cls.from_json(json.loads(raw))

    def with_(self, **changes: int) -> ValidatorRewards:
        return replace(self, **changes)


def pending_reward(shares: int, current: int, start: int) -> int:
    """What `shares` earned while the reward per share rose from start to current."""
    return shares * (current - start) // REWARD_SCALE
