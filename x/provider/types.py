"""Provider params, providers and pending collateral releases, each in the JSON its proto
declares (store, genesis and queries share it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from chain.coins import Coin, parse_amount, validate_denom
from chain.crypto import decode_address, encode_address
from chain.errors import AppError
from x.provider.errors import INVALID_PARAMS

DEFAULT_MIN_COLLATERAL = Coin("ugpc", 1_000_000)


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def coin_json(coin: Coin) -> dict[str, str]:
    return {"denom": coin.denom, "amount": str(coin.amount)}


def coin_from_json(data: Any) -> Coin:
    """Raises KeyError, TypeError or AppError on a malformed coin (callers name the field)."""
    validate_denom(str(data["denom"]))
    return Coin(str(data["denom"]), parse_amount(str(data["amount"])))


@dataclass(frozen=True)
class Params:
    """min_provider_collateral: what a provider must lock to exist (its denom is the only
    one collateral may be in)."""

    min_provider_collateral: Coin = DEFAULT_MIN_COLLATERAL

    def to_json(self) -> dict[str, Any]:
        return {"min_provider_collateral": coin_json(self.min_provider_collateral)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        """Missing fields take their defaults; raises INVALID_PARAMS naming a bad field."""
        if not isinstance(data, dict):
            raise INVALID_PARAMS("params must be a JSON object")
        unknown = sorted(set(data) - set(cls().to_json()))
        if unknown:
            raise INVALID_PARAMS(f"unknown field {unknown[0]!r}")
        raw = data.get("min_provider_collateral")
        if raw is None:
            return cls()
        try:
            return cls(coin_from_json(raw))
        except (KeyError, TypeError, AppError):
            raise INVALID_PARAMS(
                f"min_provider_collateral {str(raw)[:80]} is not a coin like "
                '{"denom": "ugpc", "amount": "1000000"}'
            ) from None


@dataclass(frozen=True)
class Provider:
    owner: bytes
    host_uri: str
    attributes: tuple[tuple[str, str], ...]
    email: str
    website: str
    cert_fingerprint: str
    collateral: Coin

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": encode_address(self.owner),
            "host_uri": self.host_uri,
            "attributes": [{"key": key, "value": value} for key, value in self.attributes],
            "info": {"email": self.email, "website": self.website},
            "cert_fingerprint": self.cert_fingerprint,
            "collateral": coin_json(self.collateral),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Provider:
        """Raises KeyError, TypeError, ValueError or AppError on malformed data."""
        info = data.get("info") or {}
        return cls(
            owner=decode_address(str(data["owner"])),
            host_uri=str(data["host_uri"]),
            attributes=tuple(
                (str(entry["key"]), str(entry["value"])) for entry in data.get("attributes", [])
            ),
            email=str(info.get("email", "")),
            website=str(info.get("website", "")),
            cert_fingerprint=str(data.get("cert_fingerprint", "")),
            collateral=coin_from_json(data["collateral"]),
        )

    def encode(self) -> bytes:
        return canonical(self.to_json())

    @classmethod
    def decode(cls, raw: bytes) -> Provider:
        return cls.from_json(json.loads(raw))


@dataclass(frozen=True)
class CollateralRelease:
    """A deleted provider's collateral, paid back to owner at completion_height."""

    owner: bytes
    completion_height: int
    amount: Coin

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": encode_address(self.owner),
            "completion_height": str(self.completion_height),
            "amount": coin_json(self.amount),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CollateralRelease:
        """Raises KeyError, TypeError, ValueError or AppError on malformed data."""
        return cls(
            owner=decode_address(str(data["owner"])),
            completion_height=int(str(data["completion_height"])),
            amount=coin_from_json(data["amount"]),
        )


# Score weights (see reputation_score): an interval reported on time is the unit; a
# completed lease is worth a hundred; a failed lease or a slash costs ten completed leases.
REPORT_ON_TIME_POINTS = 1
COMPLETED_LEASE_POINTS = 100
FAILED_LEASE_PENALTY = 1000
SLASH_PENALTY = 1000


@dataclass(frozen=True)
class Reputation:
    """A provider's service record: counters only ever go up, so the score is a function
    of what happened, never of when it was read."""

    provider: bytes
    leases_won: int = 0
    leases_completed: int = 0
    leases_failed: int = 0
    reports_on_time: int = 0
    slashes: int = 0

    COUNTERS: ClassVar[tuple[str, ...]] = (
        "leases_won",
        "leases_completed",
        "leases_failed",
        "reports_on_time",
        "slashes",
    )

    def score(self) -> int:
        """reports_on_time + 100·leases_completed - 1000·leases_failed - 1000·slashes, in
        exact integers: matching ranks equal prices by it (higher first). Leases won do not
        count until they end, so winning alone never lifts a provider."""
        return (
            REPORT_ON_TIME_POINTS * self.reports_on_time
            + COMPLETED_LEASE_POINTS * self.leases_completed
            - FAILED_LEASE_PENALTY * self.leases_failed
            - SLASH_PENALTY * self.slashes
        )

    def counted(self, counter: str) -> Reputation:
        """This record with one more of counter (one of COUNTERS)."""
        return replace(self, **{counter: getattr(self, counter) + 1})

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": encode_address(self.provider),
            **{name: str(getattr(self, name)) for name in self.COUNTERS},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reputation:
        """Raises KeyError, TypeError, ValueError (a negative or non-integer counter) or
        AppError on malformed data."""
        counters = {name: int(str(data.get(name, "0"))) for name in cls.COUNTERS}
        if any(value < 0 for value in counters.values()):
            raise ValueError("reputation counters cannot be negative")
        return cls(provider=decode_address(str(data["provider"])), **counters)

    def encode(self) -> bytes:
        return canonical(self.to_json())

    @classmethod
    def decode(cls, raw: bytes) -> Reputation:
        return cls.from_json(json.loads(raw))
