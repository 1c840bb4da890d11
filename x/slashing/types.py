"""Slashing params and per-validator signing info; fractions are 18-decimal integers."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from chain.coins import DEC_ONE, format_dec, parse_dec
from chain.errors import ErrorKind
from x.slashing.errors import INVALID_PARAMS

FRACTION_ONE = DEC_ONE
# Tombstoned validators are jailed "forever": no height ever reaches this one.
JAILED_FOREVER = 2**63 - 1
# Votes in block H commit block H-1, whose validator set was chosen at the end of H-2
# (CometBFT applies updates one block late): the stake at risk is the one bonded then.
VALIDATOR_UPDATE_DELAY = 1


def parse_fraction(text: str, field_name: str, error: ErrorKind = INVALID_PARAMS) -> int:
    """Parse a decimal like "0.05" into an 18-decimal integer; raises error naming the field."""
    return parse_dec(str(text), field_name, error, "0.05")


format_fraction = format_dec


def round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, ties to even (Cosmos's
    Dec.RoundInt64), for non-negative numerators."""
    quotient, remainder = divmod(numerator, denominator)
    if remainder * 2 > denominator or (remainder * 2 == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def _positive_int(data: dict[str, Any], name: str, default: int) -> int:
    raw = data.get(name, default)
    try:
        value = int(str(raw))
    except ValueError:
        raise INVALID_PARAMS(f"{name} {raw!r} is not an integer") from None
    if value <= 0:
        raise INVALID_PARAMS(f"{name} must be positive, got {value}")
    return value


def _fraction(data: dict[str, Any], name: str, default: int) -> int:
    raw = data.get(name)
    value = default if raw is None else parse_fraction(str(raw), name)
    if value > FRACTION_ONE:
        raise INVALID_PARAMS(f"{name} {format_fraction(value)} is above 1")
    return value


@dataclass(frozen=True)
class Params:
    """How many blocks a validator may miss, how long it sits out, and what each fault costs."""

    signed_blocks_window: int = 100
    min_signed_per_window: int = FRACTION_ONE // 2
    downtime_jail_blocks: int = 600
    slash_fraction_double_sign: int = FRACTION_ONE // 20
    slash_fraction_downtime: int = FRACTION_ONE // 10_000

    @property
    def min_signed_blocks(self) -> int:
        """Blocks of the window a validator must sign (rounded half to even, as Cosmos)."""
        return round_half_even(self.min_signed_per_window * self.signed_blocks_window, FRACTION_ONE)

    @property
    def max_missed_blocks(self) -> int:
        """Missing more than this many blocks of the window jails the validator."""
        return self.signed_blocks_window - self.min_signed_blocks

    def to_json(self) -> dict[str, str]:
        return {
            "signed_blocks_window": str(self.signed_blocks_window),
            "min_signed_per_window": format_fraction(self.min_signed_per_window),
            "downtime_jail_blocks": str(self.downtime_jail_blocks),
            "slash_fraction_double_sign": format_fraction(self.slash_fraction_double_sign),
            "slash_fraction_downtime": format_fraction(self.slash_fraction_downtime),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        """Missing fields take their defaults; raises INVALID_PARAMS naming a bad field."""
        if not isinstance(data, dict):
            raise INVALID_PARAMS("params must be a JSON object")
        known = set(cls().to_json())
        unknown = sorted(set(data) - known)
        if unknown:
            raise INVALID_PARAMS(f"unknown field {unknown[0]!r}")
        defaults = cls()
        return cls(
            signed_blocks_window=_positive_int(
                data, "signed_blocks_window", defaults.signed_blocks_window
            ),
            min_signed_per_window=_fraction(
                data, "min_signed_per_window", defaults.min_signed_per_window
            ),
            downtime_jail_blocks=_positive_int(
                data, "downtime_jail_blocks", defaults.downtime_jail_blocks
            ),
            slash_fraction_double_sign=_fraction(
                data, "slash_fraction_double_sign", defaults.slash_fraction_double_sign
            ),
            slash_fraction_downtime=_fraction(
                data, "slash_fraction_downtime", defaults.slash_fraction_downtime
            ),
        )


@dataclass(frozen=True)
class SigningInfo:
    """One validator's liveness record, keyed by its consensus address.

    index_offset counts the votes seen since start_height (or since the last downtime jail);
    `index_offset % signed_blocks_window` is the slot the next vote overwrites.
    """

    address: bytes
    start_height: int
    index_offset: int = 0
    missed_blocks_counter: int = 0
    jailed_until: int = 0
    tombstoned: bool = False

    def encode(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> SigningInfo:
        return cls.from_json(json.loads(raw))

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address.hex().upper(),
            "start_height": str(self.start_height),
            "index_offset": str(self.index_offset),
            "missed_blocks_counter": str(self.missed_blocks_counter),
            "jailed_until": str(self.jailed_until),
            "tombstoned": self.tombstoned,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SigningInfo:
        return cls(
            address=bytes.fromhex(data["address"]),
            start_height=int(data["start_height"]),
            index_offset=int(data["index_offset"]),
            missed_blocks_counter=int(data["missed_blocks_counter"]),
            jailed_until=int(data["jailed_until"]),
            tombstoned=bool(data["tombstoned"]),
        )

    def with_(self, **changes: Any) -> SigningInfo:
        return replace(self, **changes)
