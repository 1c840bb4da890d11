"""market genesis: params, every order, bid and lease (JSON as the queries answer them) and
the next bid sequence, so an exported chain imports to the same market state. The bid
deposits themselves are bank's: the `market` module account's balance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from google.protobuf import json_format

from chain.context import Context
from chain.errors import AppError
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.store import KVStore, iterate_prefix
from x.market import keys
from x.market.errors import INVALID_GENESIS
from x.market.keeper import MarketKeeper
from x.market.types import BID_STATES, LEASE_STATES, ORDER_STATES, BidRef, OrderRef, Params

RecordT = TypeVar("RecordT", market_pb2.Order, market_pb2.Bid, market_pb2.Lease)


def default_genesis() -> dict[str, Any]:
    return {
        "params": Params().to_json(),
        "orders": [],
        "bids": [],
        "leases": [],
        "next_bid_sequence": "1",
    }


def _records(
    state: dict[str, Any], name: str, record_class: type[RecordT], states: Mapping[str, int]
) -> list[RecordT]:
    entries = state.get(name, [])
    if not isinstance(entries, list):
        raise INVALID_GENESIS(f"market.{name} must be a list")
    records = []
    for index, entry in enumerate(entries):
        where = f"market.{name}[{index}]"
        try:
            record = json_format.ParseDict(entry, record_class())
        except (json_format.ParseError, TypeError, ValueError, AttributeError) as error:
            raise INVALID_GENESIS(f"{where}: {str(error)[:200]}") from None
        if record.state not in states.values():
            raise INVALID_GENESIS(f"{where}.state is not one of {', '.join(states)}")
        records.append(record)
    return records


def parse_genesis(
    state: dict[str, Any],
) -> tuple[Params, list[market_pb2.Order], list[market_pb2.Bid], list[market_pb2.Lease], int]:
    """Raises INVALID_PARAMS or INVALID_GENESIS naming the first bad entry."""
    params = Params.from_json(state.get("params", {}))
    orders = _records(state, "orders", market_pb2.Order, ORDER_STATES)
    bids = _records(state, "bids", market_pb2.Bid, BID_STATES)
    leases = _records(state, "leases", market_pb2.Lease, LEASE_STATES)
    try:
        order_ids = {OrderRef.of(order.order_id) for order in orders}
        if len(order_ids) != len(orders):
            raise INVALID_GENESIS("market.orders lists an order twice")
        bid_ids = {BidRef.of(bid.bid_id) for bid in bids}
        if len(bid_ids) != len(bids):
            raise INVALID_GENESIS("market.bids lists a bid twice")
        for ref in bid_ids:
            if ref.order not in order_ids:
                raise INVALID_GENESIS(f"bid {ref} has no order")
        for lease in leases:
            if BidRef.of(lease.lease_id) not in bid_ids:
                raise INVALID_GENESIS(f"lease {BidRef.of(lease.lease_id)} has no bid")
        sequence = int(str(state.get("next_bid_sequence", "1")))
    except AppError as error:
        raise INVALID_GENESIS(error.log) from None
    except ValueError:
        raise INVALID_GENESIS("market.next_bid_sequence is not an integer") from None
    if sequence < 1 or any(bid.sequence >= sequence for bid in bids):
        raise INVALID_GENESIS("market.next_bid_sequence must follow every bid's sequence")
    return params, orders, bids, leases, sequence


def validate_genesis(state: dict[str, Any]) -> None:
    parse_genesis(state)


def init_genesis(ctx: Context, keeper: MarketKeeper, state: dict[str, Any]) -> None:
    params, orders, bids, leases, sequence = parse_genesis(state)
    keeper.set_params(ctx.store, params)
    keeper.set_bid_sequence(ctx.store, sequence)
    for order in orders:
        keeper.set_order(ctx.store, OrderRef.of(order.order_id), order, None)
    for bid in bids:
        keeper.set_bid(ctx.store, BidRef.of(bid.bid_id), bid, None)
    for lease in leases:
        keeper.set_lease(ctx.store, BidRef.of(lease.lease_id), lease, None)


def _export(store: KVStore, prefix: bytes, record_class: type[RecordT]) -> list[dict[str, Any]]:
    return [
        json_format.MessageToDict(record_class.FromString(raw), preserving_proto_field_name=True)
        for _, raw in iterate_prefix(store, prefix)
    ]


def export_genesis(store: KVStore, keeper: MarketKeeper) -> dict[str, Any]:
    return {
        "params": keeper.params(store).to_json(),
        "orders": _export(store, keys.ORDER_PREFIX, market_pb2.Order),
        "bids": _export(store, keys.BID_PREFIX, market_pb2.Bid),
        "leases": _export(store, keys.LEASE_PREFIX, market_pb2.Lease),
        "next_bid_sequence": str(keeper.next_bid_sequence(store)),
    }
