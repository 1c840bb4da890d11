"""Events of the market's usage part; lease ids as the market's events show them."""

from __future__ import annotations

from chain.context import Context
from chain.crypto import encode_address
from x.market.types import BidRef


def _lease(ref: BidRef) -> tuple[tuple[str, str], ...]:
    order = ref.order
    return (
        ("owner", encode_address(order.owner)),
        ("dseq", str(order.dseq)),
        ("gseq", str(order.gseq)),
        ("oseq", str(order.oseq)),
        ("provider", encode_address(ref.provider)),
    )


def emit_usage_reported(
    ctx: Context, ref: BidRef, start_height: int, end_height: int, gpus: int, next_due: int
) -> None:
    ctx.emit(
        "usage_reported",
        *_lease(ref),
        ("start_height", str(start_height)),
        ("end_height", str(end_height)),
        ("gpus", str(gpus)),
        ("next_due", str(next_due)),
    )


def emit_lease_fault(
    ctx: Context,
    ref: BidRef,
    reported_until: int,
    due: int,
    refunded: int,
    slashed: int,
    to_tenant: int,
) -> None:
    ctx.emit(
        "lease_fault",
        *_lease(ref),
        ("reported_until", str(reported_until)),
        ("due", str(due)),
        ("refunded", str(refunded)),
        ("slashed", str(slashed)),
        ("to_tenant", str(to_tenant)),
        ("to_community_pool", str(slashed - to_tenant)),
    )
