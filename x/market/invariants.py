"""market invariants: at most one active lease per order; an active lease has its bid
active (won) and its order active; a won bid has its lease active; the `market` module
account holds exactly the deposits of open and won bids; the indexes list each record
once, under its state (an open order also under its window end)."""

from __future__ import annotations

from chain.module import Invariant
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.store import KVStore, iterate_prefix
from x.market import keys
from x.market.keeper import DEPOSITS_ACCOUNT, MarketKeeper
from x.market.types import (
    BID_ACTIVE,
    BID_OPEN,
    DENOM,
    LEASE_ACTIVE,
    ORDER_ACTIVE,
    ORDER_OPEN,
    BidRef,
    OrderRef,
    state_byte,
)


def invariants(keeper: MarketKeeper) -> list[Invariant]:
    def leases(store: KVStore) -> str | None:
        active_per_order: dict[bytes, int] = {}
        for key, raw in iterate_prefix(store, keys.LEASE_PREFIX):
            lease = market_pb2.Lease.FromString(raw)
            if lease.state != LEASE_ACTIVE:
                continue
            ref = BidRef.decode(key[len(keys.LEASE_PREFIX) :])
            order_key = ref.order.key
            active_per_order[order_key] = active_per_order.get(order_key, 0) + 1
            if active_per_order[order_key] > 1:
                return f"order {ref.order} has more than one active lease"
            bid = keeper.bid(store, ref)
            if bid is None or bid.state != BID_ACTIVE:
                return f"active lease {ref} has no winning bid"
            order = keeper.order(store, ref.order)
            if order is None or order.state != ORDER_ACTIVE:
                return f"active lease {ref} has no active order"
        return None

    def bids(store: KVStore) -> str | None:
        held = 0
        for key, raw in iterate_prefix(store, keys.BID_PREFIX):
            bid = market_pb2.Bid.FromString(raw)
            ref = BidRef.decode(key[len(keys.BID_PREFIX) :])
            if bid.state == BID_ACTIVE:
                lease = keeper.lease(store, ref)
                if lease is None or lease.state != LEASE_ACTIVE:
                    return f"winning bid {ref} has no active lease"
            if bid.state in (BID_OPEN, BID_ACTIVE):
                held += int(bid.deposit.amount)
        balance = keeper.bank.balance(store, DEPOSITS_ACCOUNT.address, DENOM)
        if balance != held:
            return f"market account holds {balance}{DENOM}, open and won bids' deposits {held}"
        return None

    def indexes(store: KVStore) -> str | None:
        for key, raw in iterate_prefix(store, keys.ORDER_PREFIX):
            order = market_pb2.Order.FromString(raw)
            ref = OrderRef.decode(key[len(keys.ORDER_PREFIX) :])
            if store.get(keys.ORDER_STATE_PREFIX + state_byte(order.state) + ref.key) is None:
                return f"order {ref} is not indexed under its state"
            windowed = store.get(keys.window_prefix(order.window_end) + ref.key) is not None
            if windowed != (order.state == ORDER_OPEN):
                return f"order {ref} is {'' if windowed else 'not '}in the window index"
        counted = {
            keys.ORDER_STATE_PREFIX: keys.ORDER_PREFIX,
            keys.BID_STATE_PREFIX: keys.BID_PREFIX,
            keys.BID_PROVIDER_PREFIX: keys.BID_PREFIX,
            keys.LEASE_STATE_PREFIX: keys.LEASE_PREFIX,
            keys.LEASE_PROVIDER_PREFIX: keys.LEASE_PREFIX,
        }
        for index, records in counted.items():
            listed = sum(1 for _ in iterate_prefix(store, index))
            stored = sum(1 for _ in iterate_prefix(store, records))
            if listed != stored:
                return f"index 0x{index.hex()} lists {listed} entries for {stored} records"
        windows = sum(1 for _ in iterate_prefix(store, keys.ORDER_WINDOW_PREFIX))
        open_orders = sum(
            1 for _ in iterate_prefix(store, keys.ORDER_STATE_PREFIX + state_byte(ORDER_OPEN))
        )
        if windows != open_orders:
            return f"{windows} window index entries for {open_orders} open orders"
        return None

    return [
        Invariant("market/leases", leases),
        Invariant("market/bids", bids),
        Invariant("market/indexes", indexes),
    ]
