"""Market queries over committed state: lists filtered by owner, order, provider and
state through the indexes, a page at a time, and refusals naming a bad filter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_fixtures import Chain
from market_helpers import (
    PROVIDERS,
    TENANT,
    bid_msg,
    blocks_until,
    deploy,
    market_chain,
    one_block,
    order,
)

from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.gpuchain.market.v1 import market_pb2, query_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.rest import build_request, rest_routes
from x.escrow import queries as escrow_queries
from x.market import queries

P1, P2, P3 = PROVIDERS


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    """dseq 1: P1, P2, P3 bid, P2 wins; dseq 2: P1 and P3 bid, still open; dseq 3: no bids."""
    market = market_chain(Path(tmp_path_factory.mktemp("market-queries")) / "node")
    deploy(market, 1)
    one_block(market, (P1, bid_msg(P1, 9000, 1)), (P2, bid_msg(P2, 7000, 1)),
              (P3, bid_msg(P3, 8000, 1)))  # fmt: skip
    blocks_until(market, order(market, 1).window_end)
    deploy(market, 2)
    deploy(market, 3)
    one_block(market, (P1, bid_msg(P1, 5000, 2)), (P3, bid_msg(P3, 6000, 2)))
    yield market
    market.node.close()


def bids(chain: Chain, **filters: object) -> list[tuple[int, str, str]]:
    request = query_pb2.QueryBidsRequest(**filters)  # type: ignore[arg-type]
    answer = chain.node.query(queries.BIDS_PATH, request, query_pb2.QueryBidsResponse())
    return [
        (b.bid_id.dseq, b.bid_id.provider, market_pb2.BidState.Name(b.state)) for b in answer.bids
    ]


def test_orders_filter_by_state_and_owner_and_page(chain: Chain) -> None:
    def dseqs(**filters: object) -> list[int]:
        request = query_pb2.QueryOrdersRequest(**filters)  # type: ignore[arg-type]
        answer = chain.node.query(queries.ORDERS_PATH, request, query_pb2.QueryOrdersResponse())
        return [o.order_id.dseq for o in answer.orders]

    assert dseqs() == [1, 2, 3]
    assert dseqs(state="open") == [2, 3]
    assert dseqs(state="active", owner=TENANT.bech32_address) == [1]
    assert dseqs(owner=P1.bech32_address) == []
    first = chain.node.query(
        queries.ORDERS_PATH,
        query_pb2.QueryOrdersRequest(pagination=pagination_pb2.PageRequest(limit=2)),
        query_pb2.QueryOrdersResponse(),
    )
    assert [o.order_id.dseq for o in first.orders] == [1, 2] and first.pagination.next_key
    rest = chain.node.query(
        queries.ORDERS_PATH,
        query_pb2.QueryOrdersRequest(
            pagination=pagination_pb2.PageRequest(key=first.pagination.next_key)
        ),
        query_pb2.QueryOrdersResponse(),
    )
    assert [o.order_id.dseq for o in rest.orders] == [3] and not rest.pagination.next_key


def test_bids_filter_by_order_provider_and_state(chain: Chain) -> None:
    owner = TENANT.bech32_address
    assert [b[0] for b in bids(chain, owner=owner, dseq=1)] == [1, 1, 1]
    assert bids(chain, owner=owner, dseq=1, state="active") == [
        (1, P2.bech32_address, "BID_STATE_ACTIVE")
    ]
    assert bids(chain, provider=P1.bech32_address) == [
        (2, P1.bech32_address, "BID_STATE_OPEN"),  # open (1) sorts before lost (3)
        (1, P1.bech32_address, "BID_STATE_LOST"),
    ]
    assert bids(chain, provider=P3.bech32_address, owner=owner, dseq=2) == [
        (2, P3.bech32_address, "BID_STATE_OPEN")
    ]
    assert bids(chain, provider=P3.bech32_address, state="lost") == [
        (1, P3.bech32_address, "BID_STATE_LOST")
    ]
    assert len(bids(chain, state="open")) == 2


def test_leases_filter_by_owner_provider_and_state(chain: Chain) -> None:
    def leases(**filters: object) -> list[str]:
        request = query_pb2.QueryLeasesRequest(**filters)  # type: ignore[arg-type]
        answer = chain.node.query(queries.LEASES_PATH, request, query_pb2.QueryLeasesResponse())
        return [lease.lease_id.provider for lease in answer.leases]

    assert leases() == [P2.bech32_address]
    assert leases(provider=P2.bech32_address, state="active") == [P2.bech32_address]
    assert leases(provider=P2.bech32_address, owner=TENANT.bech32_address) == [P2.bech32_address]
    assert leases(provider=P1.bech32_address) == []
    assert leases(state="closed") == []


@pytest.mark.parametrize(
    ("path", "request_message", "log"),
    [
        (queries.ORDERS_PATH, query_pb2.QueryOrdersRequest(state="lost"), "is not one of"),
        (queries.LEASES_PATH, query_pb2.QueryLeasesRequest(owner="gpu1nope"), "owner"),
        (queries.ORDER_PATH, query_pb2.QueryOrderRequest(owner="x"), "owner"),
    ],
)
def test_bad_filters_are_refused_naming_them(
    chain: Chain, path: str, request_message: object, log: str
) -> None:
    answer = chain.node.app.query(
        abci.RequestQuery(path=path, data=request_message.SerializeToString())  # type: ignore[attr-defined]
    )
    assert answer.code != 0 and log in answer.log


def test_get_of_a_missing_record_is_not_found(chain: Chain) -> None:
    request = query_pb2.QueryLeaseRequest(
        owner=TENANT.bech32_address, dseq=2, gseq=1, oseq=1, provider=P1.bech32_address
    )
    answer = chain.node.app.query(
        abci.RequestQuery(path=queries.LEASE_PATH, data=request.SerializeToString())
    )
    assert (answer.codespace, answer.code) == ("market", 15)


def test_rest_paths_reach_the_typed_queries_with_their_filters(chain: Chain) -> None:
    routes = {
        route.template: route.route
        for route in rest_routes(
            found for module in chain.node.modules.in_order() for found in module.query_routes()
        )
    }
    assert {
        "/gpuchain/market/v1/orders/list": queries.ORDERS_PATH,
        "/gpuchain/market/v1/bids/info": queries.BID_PATH,
        "/gpuchain/market/v1/leases/list": queries.LEASES_PATH,
        "/gpuchain/escrow/v1/params": escrow_queries.PARAMS_PATH,
    }.items() <= {template: route.path for template, route in routes.items()}.items()
    listing = routes["/gpuchain/market/v1/bids/list"]
    request = build_request(listing, {}, [("provider", P3.bech32_address), ("state", "lost")], None)
    reader, _, _ = chain.node.app.store.query_view()
    answer = listing.handler(reader, request)
    assert [(b.bid_id.dseq, b.bid_id.provider) for b in answer.bids] == [(1, P3.bech32_address)]
