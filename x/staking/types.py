"""Validators, delegations, unbonding entries and params; all amounts are integers.

Rates (commission) are fixed-point integers with 18 decimals, as Cosmos SDK's Dec.
Voting power is tokens // POWER_REDUCTION (1 power per GPC).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from enum import IntEnum
from typing import Any

from chain.coins import DEC_ONE, format_dec, parse_dec
from chain.errors import ErrorKind

RATE_ONE = DEC_ONE
POWER_REDUCTION = 1_000_000
BONDED_POOL_NAME = "bonded_tokens_pool"  # module accounts holding bonded and other stake
NOT_BONDED_POOL_NAME = "not_bonded_tokens_pool"


def parse_rate(text: str, field_name: str, error: ErrorKind) -> int:
    """Parse a decimal like "0.10" into an 18-decimal integer; raises error naming the field."""
    return parse_dec(text, field_name, error, "0.10")


format_rate = format_dec


class BondStatus(IntEnum):
    """Cosmos's validator states: a validator that leaves the set stays UNBONDING (its stake
    still slashable) for the unbonding period, then becomes UNBONDED."""

    UNBONDED = 1
    UNBONDING = 2
    BONDED = 3


@dataclass(frozen=True)
class Commission:
    rate: int
    max_rate: int
    max_change_rate: int
    update_time_ns: int = 0


@dataclass(frozen=True)
class Validator:
    operator: bytes
    consensus_pubkey: bytes
    moniker: str
    commission: Commission
    min_self_delegation: int
    tokens: int = 0
    shares: int = 0
    status: BondStatus = BondStatus.UNBONDED
    jailed: bool = False
    details: dict[str, str] = field(default_factory=dict)
    unbonding_height: int = 0
    unbonding_completion_height: int = 0

    @property
    def power(self) -> int:
        return self.tokens // POWER_REDUCTION

    @property
    def is_unbonded(self) -> bool:
        """Out of the set longer than the unbonding period: no stake left to slash for it."""
        return self.status == BondStatus.UNBONDED

    def shares_for_tokens(self, amount: int) -> int:
        """New shares for `amount` tokens; the first delegation gets one share per token."""
        if self.shares == 0:
            return amount
        return amount * self.shares // self.tokens

    def tokens_for_shares(self, shares: int) -> int:
        return shares * self.tokens // self.shares if self.shares else 0

    def encode(self) -> bytes:
        data = asdict(self)
        data["operator"] = self.operator.hex()
        data["consensus_pubkey"] = self.consensus_pubkey.hex()
        data["status"] = int(self.status)
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Validator:
        data = json.loads(raw)
        return cls(
            operator=bytes.fromhex(data["operator"]),
            consensus_pubkey=bytes.fromhex(data["consensus_pubkey"]),
            moniker=data["moniker"],
            commission=Commission(**data["commission"]),
            min_self_delegation=data["min_self_delegation"],
            tokens=data["tokens"],
            shares=data["shares"],
            status=BondStatus(data["status"]),
            jailed=data["jailed"],
            details=data["details"],
            unbonding_height=data.get("unbonding_height", 0),
            unbonding_completion_height=data.get("unbonding_completion_height", 0),
        )

    def with_(self, **changes: Any) -> Validator:
        return replace(self, **changes)


@dataclass(frozen=True)
class UnbondingEntry:
    delegator: bytes
    operator: bytes
    creation_height: int
    completion_height: int
    initial_balance: int
    balance: int

    def encode(self) -> bytes:
        data = asdict(self)
        data["delegator"] = self.delegator.hex()
        data["operator"] = self.operator.hex()
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> UnbondingEntry:
        data = json.loads(raw)
        data["delegator"] = bytes.fromhex(data["delegator"])
        data["operator"] = bytes.fromhex(data["operator"])
        return cls(**data)


@dataclass(frozen=True)
class RedelegationEntry:
    """Stake moved from source to destination, still answerable for the source's faults
    committed at or after creation_height until completion_height."""

    delegator: bytes
    source: bytes
    destination: bytes
    creation_height: int
    completion_height: int
    initial_balance: int
    destination_shares: int

    def encode(self) -> bytes:
        data = asdict(self)
        for name in ("delegator", "source", "destination"):
            data[name] = data[name].hex()
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> RedelegationEntry:
        data = json.loads(raw)
        for name in ("delegator", "source", "destination"):
            data[name] = bytes.fromhex(data[name])
        return cls(**data)


@dataclass(frozen=True)
class Params:
    unbonding_blocks: int = 100
    max_validators: int = 100
    bond_denom: str = "ugpc"
    max_entries: int = 7

    def to_json(self) -> dict[str, Any]:
        return {key: str(value) for key, value in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        defaults = cls()
        return cls(
            unbonding_blocks=int(data.get("unbonding_blocks", defaults.unbonding_blocks)),
            max_validators=int(data.get("max_validators", defaults.max_validators)),
            bond_denom=str(data.get("bond_denom", defaults.bond_denom)),
            max_entries=int(data.get("max_entries", defaults.max_entries)),
        )
