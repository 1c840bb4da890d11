"""Market params, state names and the ids of orders, bids and leases as the keeper uses
them (raw addresses; the protos carry bech32 text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chain.crypto import encode_address
from chain.msgs import account_address
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.store import decode_uint
from x.market import keys
from x.market.errors import INVALID_PARAMS

DENOM = "ugpc"
BPS_ONE = 10_000

ORDER_OPEN = market_pb2.ORDER_STATE_OPEN
ORDER_ACTIVE = market_pb2.ORDER_STATE_ACTIVE
ORDER_CLOSED = market_pb2.ORDER_STATE_CLOSED
BID_OPEN = market_pb2.BID_STATE_OPEN
BID_ACTIVE = market_pb2.BID_STATE_ACTIVE
BID_LOST = market_pb2.BID_STATE_LOST
BID_CLOSED = market_pb2.BID_STATE_CLOSED
LEASE_ACTIVE = market_pb2.LEASE_STATE_ACTIVE
LEASE_CLOSED = market_pb2.LEASE_STATE_CLOSED

# The names queries and the CLI filter by, and the state byte of each index.
ORDER_STATES = {"open": ORDER_OPEN, "active": ORDER_ACTIVE, "closed": ORDER_CLOSED}
BID_STATES = {"open": BID_OPEN, "active": BID_ACTIVE, "lost": BID_LOST, "closed": BID_CLOSED}
LEASE_STATES = {"active": LEASE_ACTIVE, "closed": LEASE_CLOSED}

REASON_OWNER = market_pb2.LEASE_CLOSED_REASON_OWNER
REASON_PROVIDER = market_pb2.LEASE_CLOSED_REASON_PROVIDER
REASON_INSUFFICIENT_FUNDS = market_pb2.LEASE_CLOSED_REASON_INSUFFICIENT_FUNDS
REASON_PROVIDER_FAULT = market_pb2.LEASE_CLOSED_REASON_PROVIDER_FAULT
REASON_MANIFEST_TIMEOUT = market_pb2.LEASE_CLOSED_REASON_MANIFEST_TIMEOUT
REASON_DEPLOYMENT_CLOSED = market_pb2.LEASE_CLOSED_REASON_DEPLOYMENT_CLOSED
# Who may close a lease by message with which reason (the chain itself uses the others).
OWNER_REASONS = (REASON_OWNER,)
PROVIDER_REASONS = (REASON_PROVIDER, REASON_MANIFEST_TIMEOUT)


def state_byte(state: int) -> bytes:
    return bytes([state])


def reason_name(reason: int) -> str:
    """insufficient_funds for LEASE_CLOSED_REASON_INSUFFICIENT_FUNDS (events, CLI)."""
    full: str = market_pb2.LeaseClosedReason.Name(reason)
    return full.removeprefix("LEASE_CLOSED_REASON_").lower()


class HasOrderFields(Protocol):
    owner: str
    dseq: int
    gseq: int
    oseq: int


class HasBidFields(HasOrderFields, Protocol):
    provider: str


@dataclass(frozen=True, order=True)
class OrderRef:
    """An order's id: (owner, dseq, gseq, oseq)."""

    owner: bytes
    dseq: int
    gseq: int
    oseq: int

    @property
    def key(self) -> bytes:
        return keys.order_id(self.owner, self.dseq, self.gseq, self.oseq)

    @classmethod
    def decode(cls, raw: bytes) -> OrderRef:
        return cls(
            raw[:20], decode_uint(raw[20:28]), decode_uint(raw[28:32]), decode_uint(raw[32:36])
        )

    @classmethod
    def of(cls, message: HasOrderFields) -> OrderRef:
        """From any message with owner, dseq, gseq, oseq; raises INVALID_ADDRESS."""
        owner = account_address(message.owner, "owner")
        return cls(owner, message.dseq, message.gseq, message.oseq)

    def to_proto(self) -> market_pb2.OrderID:
        return market_pb2.OrderID(
            owner=encode_address(self.owner), dseq=self.dseq, gseq=self.gseq, oseq=self.oseq
        )

    def bid(self, provider: bytes) -> BidRef:
        return BidRef(self, provider)

    def __str__(self) -> str:
        return f"{encode_address(self.owner)}/{self.dseq}/{self.gseq}/{self.oseq}"


@dataclass(frozen=True, order=True)
class BidRef:
    """A bid's id, and the id of the lease that bid wins: its order and the provider."""

    order: OrderRef
    provider: bytes

    @property
    def key(self) -> bytes:
        return self.order.key + self.provider

    @classmethod
    def decode(cls, raw: bytes) -> BidRef:
        return cls(OrderRef.decode(raw[: keys.ORDER_ID_BYTES]), raw[keys.ORDER_ID_BYTES :])

    @classmethod
    def of(cls, message: HasBidFields) -> BidRef:
        """From any message with owner, dseq, gseq, oseq, provider; raises INVALID_ADDRESS."""
        return cls(OrderRef.of(message), account_address(message.provider, "provider"))

    def _fields(self) -> dict[str, Any]:
        order = self.order
        return {
            "owner": encode_address(order.owner),
            "dseq": order.dseq,
            "gseq": order.gseq,
            "oseq": order.oseq,
            "provider": encode_address(self.provider),
        }

    def bid_proto(self) -> market_pb2.BidID:
        return market_pb2.BidID(**self._fields())

    def lease_proto(self) -> market_pb2.LeaseID:
        return market_pb2.LeaseID(**self._fields())

    @property
    def name(self) -> str:
        """The lease's name and its escrow payment id: gseq/oseq/provider."""
        return f"{self.order.gseq}/{self.order.oseq}/{encode_address(self.provider)}"

    def __str__(self) -> str:
        return f"{self.order}/{encode_address(self.provider)}"


def _uint(data: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    raw = data.get(name, default)
    try:
        value = int(str(raw))
    except ValueError:
        raise INVALID_PARAMS(f"{name} {str(raw)[:40]!r} is not an integer") from None
    if not low <= value <= high:
        raise INVALID_PARAMS(f"{name} must be {low}..{high}, got {value}")
    return value


@dataclass(frozen=True)
class Params:
    """bid_window_blocks: how long an order takes bids before matching; min_bid_deposit:
    the least a bid locks, in ugpc; order_max_bids: the most bids one order takes."""

    bid_window_blocks: int = 5
    min_bid_deposit: int = 500_000
    order_max_bids: int = 20

    def to_json(self) -> dict[str, Any]:
        return {
            "bid_window_blocks": self.bid_window_blocks,
            "min_bid_deposit": str(self.min_bid_deposit),
            "order_max_bids": self.order_max_bids,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        """Missing fields take their defaults; raises INVALID_PARAMS naming a bad field."""
        if not isinstance(data, dict):
            raise INVALID_PARAMS("params must be a JSON object")
        unknown = sorted(set(data) - set(cls().to_json()))
        if unknown:
            raise INVALID_PARAMS(f"unknown field {unknown[0]!r}")
        defaults = cls()
        return cls(
            bid_window_blocks=_uint(
                data, "bid_window_blocks", defaults.bid_window_blocks, 1, 100_000
            ),
            min_bid_deposit=_uint(data, "min_bid_deposit", defaults.min_bid_deposit, 0, 2**64 - 1),
            order_max_bids=_uint(data, "order_max_bids", defaults.order_max_bids, 1, 1_000),
        )
