"""market queries over committed state: gpuchain.market.v1.Query. Each list pages through
the index that holds its filters as a key prefix (state, provider, owner, order), so a
page reads only the entries it answers with, save a filter the index cannot prefix."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chain.errors import INVALID_REQUEST
from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import account_address
from chain.pagination import PageRequest, paginate
from chain.params import params_response
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


def _by_provider(
    index: bytes, provider: str, state: bytes, ids: bytes
) -> tuple[bytes, Callable[[bytes], bool] | None]:
    """Prefix and key filter over a provider index (provider ‖ state ‖ order id)."""
    prefix = index + account_address(provider, "provider")
    if state:
        return prefix + state + ids, None
    return prefix, (lambda rest: rest[1:].startswith(ids)) if ids else None


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
        state = _state(request.state, BID_STATES)
        ids = _id_prefix(request.owner, request.dseq, request.gseq, request.oseq)
        keep: Callable[[bytes], bool] | None = None
        if request.provider:
            provider = account_address(request.provider, "provider")
            prefix, keep = _by_provider(keys.BID_PROVIDER_PREFIX, request.provider, state, ids)

            def ref_of(rest: bytes) -> BidRef:
                skip = 0 if state else 1
                return BidRef(OrderRef.decode((ids if state else b"") + rest[skip:]), provider)
        else:
            prefix = (keys.BID_STATE_PREFIX + state if state else keys.BID_PREFIX) + ids

            def ref_of(rest: bytes) -> BidRef:
                return BidRef.decode(ids + rest)

        def load(rest: bytes, _: bytes) -> market_pb2.Bid:
            found = keeper.bid(store, ref_of(rest))
            assert found is not None, "index entry without its bid"
            return found

        page = paginate(store, prefix, PageRequest.from_proto(request.pagination), load, keep)
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
        state = _state(request.state, LEASE_STATES)
        ids = _id_prefix(request.owner)
        keep: Callable[[bytes], bool] | None = None
        if request.provider:
            provider = account_address(request.provider, "provider")
            prefix, keep = _by_provider(keys.LEASE_PROVIDER_PREFIX, request.provider, state, ids)

            def ref_of(rest: bytes) -> BidRef:
                skip = 0 if state else 1
                return BidRef(OrderRef.decode((ids if state else b"") + rest[skip:]), provider)
        else:
            prefix = (keys.LEASE_STATE_PREFIX + state if state else keys.LEASE_PREFIX) + ids

            def ref_of(rest: bytes) -> BidRef:
                return BidRef.decode(ids + rest)

        def load(rest: bytes, _: bytes) -> market_pb2.Lease:
            found = keeper.lease(store, ref_of(rest))
            assert found is not None, "index entry without its lease"
            return found

        page = paginate(store, prefix, PageRequest.from_proto(request.pagination), load, keep)
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
