"""market events, one per state transition of an order, bid or lease; the provider daemon
follows them, so their names and attributes are an interface (see the README)."""

from __future__ import annotations

from chain.context import Context
from chain.crypto import encode_address
from chain.pb.gpuchain.market.v1 import market_pb2
from x.market.types import BidRef, OrderRef, reason_name

Attributes = tuple[tuple[str, str], ...]


def _order(order: OrderRef) -> Attributes:
    return (
        ("owner", encode_address(order.owner)),
        ("dseq", str(order.dseq)),
        ("gseq", str(order.gseq)),
        ("oseq", str(order.oseq)),
    )


def _bid(bid: BidRef) -> Attributes:
    return (*_order(bid.order), ("provider", encode_address(bid.provider)))


def emit_order(ctx: Context, transition: str, order: OrderRef, window_end: int = 0) -> None:
    """transition: created, reopened (both with window_end) or closed (`order_<transition>`)."""
    extra = (("window_end", str(window_end)),) if window_end else ()
    ctx.emit(f"order_{transition}", *_order(order), *extra)


def emit_bid_created(ctx: Context, bid: BidRef, price: int, deposit: int) -> None:
    ctx.emit("bid_created", *_bid(bid), ("price", str(price)), ("deposit", str(deposit)))


def emit_bid(ctx: Context, transition: str, bid: BidRef, price: int, refunded: int) -> None:
    """transition: closed or lost (`bid_<transition>`), with the deposit refunded."""
    ctx.emit(f"bid_{transition}", *_bid(bid), ("price", str(price)), ("refunded", str(refunded)))


def emit_lease_created(ctx: Context, lease: BidRef, price: int) -> None:
    ctx.emit("lease_created", *_bid(lease), ("price", str(price)))


def emit_lease_closed(
    ctx: Context, lease: BidRef, price: int, reason: market_pb2.LeaseClosedReason
) -> None:
    ctx.emit("lease_closed", *_bid(lease), ("price", str(price)), ("reason", reason_name(reason)))


def emit_lease_withdrawn(ctx: Context, lease: BidRef, paid: int, taken: int) -> None:
    """paid: to the provider; taken: the take rate's part, to the community pool."""
    ctx.emit("lease_withdrawn", *_bid(lease), ("paid", str(paid)), ("taken", str(taken)))
