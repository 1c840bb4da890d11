"""market queries over committed state: gpuchain.market.v1.Query. Each list pages through
the index that holds its filters as a key prefix (state, provider, owner, order), so a
page reads only the entries it answers with, save a filter the index cannot prefix."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from chain.errors import INVALID_REQUEST
from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import account_address
from chain.pagination import Page, PageRequest, paginate
from chain.params import params_response
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.gpuchain.market.v1 import market_pb2, query_pb2
from chain.store import KVStore, encode_uint
from x.market import keys
from x.market.errors import BID_NOT_FOUND, LEASE_NOT_FOUND, ORDER_NOT_FOUND
from x.market.keeper import MarketKeeper
from x.market.types import BID_STATES, LEASE_STATES, ORDER_STATES, BidRef, OrderRef, state_byte

SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
PARAMS_PATH = query_path(SERVICE, "Params")
ORDERS_PATH = query_path(SERVICE, "Orders")
ORDER_PATH = query_path(SERVICE, "Order")
BIDS_PATH = query_path(SERVICE, "Bids")
BID_PATH = query_path(SERVICE, "Bid")
LEASES_PATH = query_path(SERVICE, "Leases")
LEASE_PATH = query_path(SERVICE, "Lease")
T = TypeVar("T")


def _state(text: str, states: Mapping[str, int]) -> bytes:
    """The index byte of a state filter ('' when none); raises INVALID_REQUEST."""
    if not text:
        return b""
    if text not in states:
        raise INVALID_REQUEST(f"state {text[:40]!r} is not one of {', '.join(states)}")
    return state_byte(states[text])


def _id_prefix(owner: str, dseq: int = 0, gseq: int = 0, oseq: int = 0) -> bytes:
    """The leading part of an order id that the filters fix: owner, then dseq, gseq, oseq
    while each is set. Raises INVALID_ADDRESS."""
    if not owner:
        return b""
    prefix = account_address(owner, "owner")
    for value, width in ((dseq, 8), (gseq, 4), (oseq, 4)):
        if not value:
            break
        prefix += encode_uint(value, width)
    return prefix


@dataclass(frozen=True)
class Listing:
    """How a bid or lease list pages: the prefix, a key filter the prefix cannot hold, and
    how a key after the prefix names its record."""

    prefix: bytes
    keep: Callable[[bytes], bool] | None
    ref_of: Callable[[bytes], BidRef]

    def page(
        self,
        store: KVStore,
        pagination: pagination_pb2.PageRequest,
        fetch: Callable[[KVStore, BidRef], T | None],
    ) -> Page[T]:
        """The page of records (fetched by ref) that pagination asks for."""

        def load(rest: bytes, _: bytes) -> T:
            found = fetch(store, self.ref_of(rest))
            assert found is not None, "index entry without its record"
            return found

        return paginate(store, self.prefix, PageRequest.from_proto(pagination), load, self.keep)


def _listing(
    indexes: tuple[bytes, bytes, bytes], provider_text: str, state: bytes, ids: bytes
) -> Listing:
    """indexes: (records, by state, by provider) prefixes of bids or leases. With a
    provider, its index (provider ‖ state ‖ order id); else the state index or the records,
    each with the fixed leading part of the order id. Raises INVALID_ADDRESS."""
    records, by_state, by_provider = indexes
    if not provider_text:
        return Listing(
            (by_state + state if state else records) + ids,
            None,
            lambda rest: BidRef.decode(ids + rest),
        )
    provider = account_address(provider_text, "provider")
    prefix = by_provider + provider
    if state:
        return Listing(
            prefix + state + ids, None, lambda rest: BidRef(OrderRef.decode(ids + rest), provider)
        )
    return Listing(
        prefix,
        (lambda rest: rest[1:].startswith(ids)) if ids else None,
        lambda rest: BidRef(OrderRef.decode(rest[1:]), provider),
    )


BID_INDEXES = (keys.BID_PREFIX, keys.BID_STATE_PREFIX, keys.BID_PROVIDER_PREFIX)
LEASE_INDEXES = (keys.LEASE_PREFIX, keys.LEASE_STATE_PREFIX, keys.LEASE_PROVIDER_PREFIX)


def query_routes(keeper: MarketKeeper) -> list[QueryRoute]:
    def params(store: KVStore, _: query_pb2.QueryParamsRequest) -> query_pb2.QueryParamsResponse:
        return params_response(keeper.params(store), query_pb2.QueryParamsResponse)

    def orders(
        store: KVStore, request: query_pb2.QueryOrdersRequest
    ) -> query_pb2.QueryOrdersResponse:
        """Orders in id order, filtered by owner and state. Raises INVALID_ADDRESS,
        INVALID_REQUEST."""
        state = _state(request.state, ORDER_STATES)
        ids = _id_prefix(request.owner)
        prefix = (keys.ORDER_STATE_PREFIX + state if state else keys.ORDER_PREFIX) + ids

        def load(rest: bytes, _: bytes) -> market_pb2.Order:
            found = keeper.order(store, OrderRef.decode(ids + rest))
            assert found is not None, "index entry without its order"
            return found

        page = paginate(store, prefix, PageRequest.from_proto(request.pagination), load)
        return query_pb2.QueryOrdersResponse(orders=page.items, pagination=page.to_proto())

    def order(store: KVStore, request: query_pb2.QueryOrderRequest) -> query_pb2.QueryOrderResponse:
        ref = OrderRef.of(request)
        found = keeper.order(store, ref)
        if found is None:
            raise ORDER_NOT_FOUND(f"no order {ref}")
        return query_pb2.QueryOrderResponse(order=found)

    def bids(store: KVStore, request: query_pb2.QueryBidsRequest) -> query_pb2.QueryBidsResponse:
        """Bids filtered by order (or its leading fields), provider and state."""
        ids = _id_prefix(request.owner, request.dseq, request.gseq, request.oseq)
        listing = _listing(BID_INDEXES, request.provider, _state(request.state, BID_STATES), ids)
        page = listing.page(store, request.pagination, keeper.bid)
        return query_pb2.QueryBidsResponse(bids=page.items, pagination=page.to_proto())

    def bid(store: KVStore, request: query_pb2.QueryBidRequest) -> query_pb2.QueryBidResponse:
        ref = BidRef.of(request)
        found = keeper.bid(store, ref)
        if found is None:
            raise BID_NOT_FOUND(f"no bid {ref}")
        return query_pb2.QueryBidResponse(bid=found)

    def leases(
        store: KVStore, request: query_pb2.QueryLeasesRequest
    ) -> query_pb2.QueryLeasesResponse:
        """Leases filtered by owner, provider and state."""
        listing = _listing(
            LEASE_INDEXES,
            request.provider,
            _state(request.state, LEASE_STATES),
            _id_prefix(request.owner),
        )
        page = listing.page(store, request.pagination, keeper.lease)
        return query_pb2.QueryLeasesResponse(leases=page.items, pagination=page.to_proto())

    def lease(store: KVStore, request: query_pb2.QueryLeaseRequest) -> query_pb2.QueryLeaseResponse:
        ref = BidRef.of(request)
        found = keeper.lease(store, ref)
        if found is None:
            raise LEASE_NOT_FOUND(f"no lease {ref}")
        return query_pb2.QueryLeaseResponse(lease=found)

    return service_routes(
        SERVICE,
        {
            "Params": params,
            "Orders": orders,
            "Order": order,
            "Bids": bids,
            "Bid": bid,
            "Leases": leases,
            "Lease": lease,
        },
    )
