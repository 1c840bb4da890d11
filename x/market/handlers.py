"""One function per market message: ordered checks, then one keeper call. A refused
message changes nothing (the app discards a failed message's writes)."""

from __future__ import annotations

from chain.coins import DEC_ONE, format_dec, parse_dec
from chain.context import Context
from chain.crypto import encode_address
from chain.msgs import account_address
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from chain.pb.gpuchain.market.v1 import market_pb2, tx_pb2
from chain.store import KVStore
from x.market.errors import (
    ATTRIBUTES_NOT_MET,
    BID_EXISTS,
    BID_NOT_FOUND,
    BID_NOT_OPEN,
    COLLATERAL_TOO_LOW,
    INSUFFICIENT_BID_DEPOSIT,
    INVALID_BID,
    NOT_A_PROVIDER,
    NOT_SIGNED_BY,
    ORDER_NOT_FOUND,
    ORDER_NOT_OPEN,
    PRICE_TOO_HIGH,
    RESOURCES_MISMATCH,
    TOO_MANY_BIDS,
)
from x.market.keeper import MarketKeeper
from x.market.msgs import ugpc_amount
from x.market.types import BID_ACTIVE, BID_OPEN, ORDER_OPEN, BidRef, OrderRef


def group_max_price(spec: deployment_pb2.GroupSpec) -> int:
    """What the group pays at most per block, scaled by DEC_ONE: each resource unit's
    price times its count (replicas), summed."""
    return sum(
        parse_dec(unit.price.amount, "price", INVALID_BID) * unit.count for unit in spec.resources
    )


def _vouches(
    keeper: MarketKeeper,
    store: KVStore,
    provider: bytes,
    auditor_text: str,
    wanted: set[tuple[str, str]],
) -> bool:
    """auditor signed every wanted attribute on provider (and signed something at all)."""
    record = keeper.audit.record(store, provider, account_address(auditor_text, "signed_by"))
    return record is not None and wanted <= set(record.attributes)


def _check_placement(
    keeper: MarketKeeper,
    store: KVStore,
    provider: bytes,
    attributes: set[tuple[str, str]],
    spec: deployment_pb2.GroupSpec,
) -> None:
    """Raises ATTRIBUTES_NOT_MET or NOT_SIGNED_BY."""
    wanted = {(attribute.key, attribute.value) for attribute in spec.requirements.attributes}
    missing = sorted(wanted - attributes)
    if missing:
        key, value = missing[0]
        raise ATTRIBUTES_NOT_MET(f"the group wants {key}={value}, the provider does not offer it")
    signed_by = spec.requirements.signed_by
    for auditor in signed_by.all_of:
        if not _vouches(keeper, store, provider, auditor, wanted):
            raise NOT_SIGNED_BY(f"auditor {auditor} has not signed the group's attributes")
    if signed_by.any_of and not any(
        _vouches(keeper, store, provider, auditor, wanted) for auditor in signed_by.any_of
    ):
        raise NOT_SIGNED_BY("none of the group's any_of auditors signed its attributes")


def handle_create_bid(
    ctx: Context, keeper: MarketKeeper, msg: tx_pb2.MsgCreateBid
) -> tx_pb2.MsgCreateBidResponse:
    """Raises ORDER_NOT_FOUND, ORDER_NOT_OPEN, NOT_A_PROVIDER, COLLATERAL_TOO_LOW, PRICE_TOO_HIGH,
    INSUFFICIENT_BID_DEPOSIT, RESOURCES_MISMATCH, ATTRIBUTES_NOT_MET, NOT_SIGNED_BY,
    BID_EXISTS, TOO_MANY_BIDS, INSUFFICIENT_FUNDS."""
    store = ctx.store
    order_ref = OrderRef.of(msg.order_id)
    order = keeper.order(store, order_ref)
    if order is None:
        raise ORDER_NOT_FOUND(f"no order {order_ref}")
    if order.state != ORDER_OPEN:
        raise ORDER_NOT_OPEN(f"order {order_ref} takes no bids: its window has ended")
    provider_bytes = account_address(msg.provider, "provider")
    provider = keeper.providers.provider(store, provider_bytes)
    if provider is None:
        raise NOT_A_PROVIDER(f"{msg.provider} is not a registered provider")
    shortfall = keeper.providers.collateral_shortfall(store, provider_bytes)
    if shortfall is not None:
        raise COLLATERAL_TOO_LOW(
            f"{msg.provider}'s collateral is {shortfall} short of the minimum (slashed?): "
            f"lock it with `tx provider add-collateral {shortfall} --from KEY`"
        )
    price = ugpc_amount(msg.price, "price")
    ceiling = group_max_price(order.spec)
    if price * DEC_ONE > ceiling:
        raise PRICE_TOO_HIGH(f"price {price}ugpc is above the group's {format_dec(ceiling)}ugpc")
    deposit = ugpc_amount(msg.deposit, "deposit")
    minimum = keeper.params(store).min_bid_deposit
    if deposit < minimum:
        raise INSUFFICIENT_BID_DEPOSIT(f"deposit {deposit}ugpc is below the minimum {minimum}ugpc")
    if msg.resources and list(msg.resources) != list(order.spec.resources):
        raise RESOURCES_MISMATCH("the bid's resources must be exactly the group's")
    _check_placement(keeper, store, provider_bytes, set(provider.attributes), order.spec)
    ref = BidRef(order_ref, provider_bytes)
    bids = keeper.bids_of(store, order_ref)
    if any(bid_ref == ref for bid_ref, _ in bids):
        raise BID_EXISTS(f"{msg.provider} already bid on order {order_ref}")
    limit = keeper.params(store).order_max_bids
    if len(bids) >= limit:
        raise TOO_MANY_BIDS(f"order {order_ref} has {len(bids)} bids, the most it takes")
    keeper.create_bid(ctx, ref, price, deposit)
    return tx_pb2.MsgCreateBidResponse()


def _require_bid(
    keeper: MarketKeeper, ctx: Context, bid_id: market_pb2.BidID
) -> tuple[BidRef, market_pb2.Bid]:
    """Raises BID_NOT_FOUND."""
    ref = BidRef.of(bid_id)
    bid = keeper.bid(ctx.store, ref)
    if bid is None:
        raise BID_NOT_FOUND(f"no bid {ref}")
    return ref, bid


def handle_close_bid(
    ctx: Context, keeper: MarketKeeper, msg: tx_pb2.MsgCloseBid
) -> tx_pb2.MsgCloseBidResponse:
    """Raises BID_NOT_FOUND, BID_NOT_OPEN (lost or closed already)."""
    ref, bid = _require_bid(keeper, ctx, msg.bid_id)
    if bid.state not in (BID_OPEN, BID_ACTIVE):
        raise BID_NOT_OPEN(f"bid {ref} is already lost or closed")
    keeper.close_bid(ctx, ref, bid)
    return tx_pb2.MsgCloseBidResponse()


def handle_create_lease(
    ctx: Context, keeper: MarketKeeper, msg: tx_pb2.MsgCreateLease
) -> tx_pb2.MsgCreateLeaseResponse:
    """Raises BID_NOT_FOUND, ORDER_NOT_OPEN (matched or closed already), BID_NOT_OPEN."""
    ref, bid = _require_bid(keeper, ctx, msg.bid_id)
    order = keeper.order(ctx.store, ref.order)
    if order is None or order.state != ORDER_OPEN:
        raise ORDER_NOT_OPEN(f"order {ref.order} is no longer open for a pick")
    if bid.state != BID_OPEN:
        raise BID_NOT_OPEN(f"bid {ref} was closed by {encode_address(ref.provider)}")
    keeper.create_lease(ctx, ref)
    return tx_pb2.MsgCreateLeaseResponse()


def handle_withdraw_lease(
    ctx: Context, keeper: MarketKeeper, msg: tx_pb2.MsgWithdrawLease
) -> tx_pb2.MsgWithdrawLeaseResponse:
    """Raises LEASE_NOT_FOUND, LEASE_CLOSED."""
    keeper.withdraw_lease(ctx, BidRef.of(msg.lease_id))
    return tx_pb2.MsgWithdrawLeaseResponse()


def handle_close_lease(
    ctx: Context, keeper: MarketKeeper, msg: tx_pb2.MsgCloseLease
) -> tx_pb2.MsgCloseLeaseResponse:
    """Raises LEASE_NOT_FOUND, LEASE_CLOSED (closing twice)."""
    keeper.close_lease(ctx, BidRef.of(msg.lease_id), msg.reason)
    return tx_pb2.MsgCloseLeaseResponse()
