"""The frozen context a message handler sees: store, block facts, gas and events.

There is deliberately no wall clock here: `block_time_ns` is the proposer's block time,
the only time all validators agree on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import Enum

from chain.errors import OUT_OF_GAS
from chain.store import KVStore


class ExecMode(Enum):
    CHECK = "check"
    RECHECK = "recheck"
    FINALIZE = "finalize"
    GENESIS = "genesis"
    # Gas estimation (cosmos.tx.v1beta1.Service/Simulate): no signature, sequence or fee
    # floor check, the block's gas limit, and nothing kept.
    SIMULATE = "simulate"


@dataclass(frozen=True)
class Event:
    """A typed state-transition event; attributes keep their order (ABCI shows them so)."""

    type: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class GasSchedule:
    """What each store access costs, as in Cosmos SDK's KV gas config."""

    read_flat: int = 1000
    read_per_byte: int = 3
    write_flat: int = 2000
    write_per_byte: int = 30
    delete: int = 1000
    iterate_next: int = 30
    tx_byte: int = 10
    signature_ed25519: int = 590
    signature_secp256k1: int = 1000
    # Events are stored by every node and indexed: their bytes are paid for like tx bytes.
    event_byte: int = 10


class GasMeter:
    """Counts gas against a limit; passing the limit raises OUT_OF_GAS at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.consumed = 0

    def consume(self, amount: int, reason: str) -> None:
        self.consumed += amount
        if self.consumed > self.limit:
            raise OUT_OF_GAS(f"{reason}: gas wanted {self.limit}, used {self.consumed}")


class GasMeteredStore:
    """Charges the gas schedule for every access before passing it to the store below."""

    def __init__(self, parent: KVStore, meter: GasMeter, schedule: GasSchedule) -> None:
        self._parent = parent
        self._meter = meter
        self._schedule = schedule

    def get(self, key: bytes) -> bytes | None:
        value = self._parent.get(key)
        size = len(key) + (len(value) if value else 0)
        self._meter.consume(
            self._schedule.read_flat + self._schedule.read_per_byte * size, "store read"
        )
        return value

    def set(self, key: bytes, value: bytes) -> None:
        size = len(key) + len(value)
        self._meter.consume(
            self._schedule.write_flat + self._schedule.write_per_byte * size, "store write"
        )
        self._parent.set(key, value)

    def delete(self, key: bytes) -> None:
        self._meter.consume(self._schedule.delete, "store delete")
        self._parent.delete(key)

    def iterate(
        self, start: bytes = b"", end: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self._parent.iterate(start, end, reverse):
            self._meter.consume(
                self._schedule.iterate_next
                + self._schedule.read_per_byte * (len(key) + len(value)),
                "store iterate",
            )
            yield key, value


@dataclass(frozen=True)
class Vote:
    """One validator's part in the last block's commit (signed: voted, even for nil)."""

    validator_address: bytes
    power: int
    signed: bool


@dataclass(frozen=True)
class Misbehavior:
    """Evidence CometBFT verified: a duplicate vote (or light-client attack) at a height."""

    kind: str
    validator_address: bytes
    power: int
    height: int
    time_ns: int
    total_voting_power: int


@dataclass(frozen=True)
class EvidenceParams:
    """CometBFT's consensus evidence params (fixed at InitChain): evidence older than both
    max_age_blocks blocks and max_age_duration_ns is stale. Defaults are CometBFT's."""

    max_age_blocks: int = 100_000
    max_age_duration_ns: int = 48 * 3600 * 1_000_000_000

    def is_stale(self, evidence: Misbehavior, height: int, block_time_ns: int) -> bool:
        """Too old to act on, by both measures (as CometBFT's evidence pool and Cosmos's
        x/evidence judge it)."""
        return (
            height - evidence.height > self.max_age_blocks
            and block_time_ns - evidence.time_ns > self.max_age_duration_ns
        )

    @classmethod
    def from_genesis(cls, genesis: dict[str, object]) -> EvidenceParams:
        """From a CometBFT genesis document's consensus_params.evidence (integer strings,
        the duration in nanoseconds); what is missing takes CometBFT's default. Raises
        ValueError naming a malformed field."""
        consensus = genesis.get("consensus_params") or {}
        if not isinstance(consensus, dict):
            raise ValueError("consensus_params must be an object")
        evidence = consensus.get("evidence") or {}
        if not isinstance(evidence, dict):
            raise ValueError("consensus_params.evidence must be an object")
        defaults = cls()
        values = []
        for name, default in (
            ("max_age_num_blocks", defaults.max_age_blocks),
            ("max_age_duration", defaults.max_age_duration_ns),
        ):
            text = str(evidence.get(name, default))
            if not text.isascii() or not text.isdigit():
                raise ValueError(f"consensus_params.evidence.{name} {text!r} is not a count")
            values.append(int(text))
        return cls(*values)


@dataclass(frozen=True)
class BlockInfo:
    """What the block header and commit tell the modules (begin-block hooks read it)."""

    proposer_address: bytes
    votes: tuple[Vote, ...] = ()
    misbehavior: tuple[Misbehavior, ...] = ()
    evidence: EvidenceParams = EvidenceParams()


@dataclass(frozen=True)
class Context:
    """Everything a handler may depend on; two validators given equal contexts agree."""

    store: KVStore
    chain_id: str
    height: int
    block_time_ns: int
    mode: ExecMode
    gas: GasMeter
    events: list[Event] = field(default_factory=list)
    block: BlockInfo = field(default_factory=lambda: BlockInfo(b""))
    schedule: GasSchedule = field(default_factory=GasSchedule)

    def emit(self, event_type: str, *attributes: tuple[str, str]) -> None:
        """Record an event, charging gas for its attribute bytes (raises OUT_OF_GAS)."""
        size = sum(len(key.encode()) + len(value.encode()) for key, value in attributes)
        self.gas.consume(self.schedule.event_byte * size, "event attributes")
        self.events.append(Event(event_type, attributes))

    def with_store(self, store: KVStore) -> Context:
        """The same context over another store layer (a nested overlay), sharing gas."""
        return replace(self, store=store)

    def with_events(self, events: list[Event]) -> Context:
        return replace(self, events=events)


def infinite_gas() -> GasMeter:
    """For block hooks and genesis, which no user pays for."""
    return GasMeter(limit=2**63 - 1)
