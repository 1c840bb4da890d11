"""The marketplace in process over real LevelDB: orders open with groups, providers bid,
the end of the bid window matches the lowest price, leases pay through escrow. The node
checks every invariant after every block (market indexes, deposits, escrow conservation)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_fixtures import Chain
from market_helpers import (
    BID_WINDOW,
    FEE,
    MARKET,
    MIN_BID_DEPOSIT,
    PROVIDERS,
    TENANT,
    bid,
    bid_msg,
    blocks_until,
    deploy,
    escrow,
    events_in,
    lease,
    market_chain,
    one_block,
    order,
)

from chain.pb.gpuchain.market.v1 import market_pb2


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    market = market_chain(tmp_path / "node")
    yield market
    market.node.close()


def test_the_lowest_bid_wins_at_the_end_of_the_window(chain: Chain) -> None:
    deploy(chain)
    created = order(chain)
    assert created.state == market_pb2.ORDER_STATE_OPEN
    assert created.window_end == created.created_at + BID_WINDOW
    before = [chain.balance(key) for key in PROVIDERS]
    one_block(
        chain,
        *[
            (key, bid_msg(key, price))
            for key, price in zip(PROVIDERS, (9000, 7000, 8000), strict=True)
        ],
    )
    assert chain.balance(MARKET) == 3 * MIN_BID_DEPOSIT
    results = blocks_until(chain, created.window_end)
    assert order(chain).state == market_pb2.ORDER_STATE_ACTIVE
    won = lease(chain, PROVIDERS[1])
    assert won.state == market_pb2.LEASE_STATE_ACTIVE and won.price.amount == "7000"
    assert [bid(chain, key).state for key in PROVIDERS] == [
        market_pb2.BID_STATE_LOST,
        market_pb2.BID_STATE_ACTIVE,
        market_pb2.BID_STATE_LOST,
    ]
    assert len(events_in(results, "bid_lost")) == 2
    assert len(events_in(results, "lease_created")) == 1
    # Lost bids got their deposits back; the winner's stays locked with its lease.
    assert chain.balance(PROVIDERS[0]) == before[0] - FEE
    assert chain.balance(PROVIDERS[1]) == before[1] - FEE - MIN_BID_DEPOSIT
    assert chain.balance(MARKET) == MIN_BID_DEPOSIT
    assert escrow(chain).rate == "7000"
    assert TENANT
