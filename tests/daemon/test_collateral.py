"""A provider whose collateral a fault slash took below the chain's minimum: the daemon
says so at start, bids on nothing (the chain would refuse it, market/21) and `explain`
names the shortfall and the command that lifts it; after add-collateral it bids again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_helpers import (
    Chain,
    Running,
    bids_of,
    deliver,
    deploy,
    group,
    provider_home,
    provider_output,
    start_chain,
    wait_until,
)

from chain.coins import Coin
from chain.pb.gpuchain.provider.v1 import query_pb2 as provider_query_pb2
from provider import metrics
from provider.bidengine import COLLATERAL_BELOW_MINIMUM
from x.market.msgs import create_bid_msg, order_id
from x.provider.msgs import add_collateral_msg

pytestmark = pytest.mark.timeout(240)
REPORT_INTERVAL_BLOCKS = 10  # short, so a lease left unreported faults within seconds
SHORTFALL = (
    "no bid: collateral_below_minimum: collateral 990000ugpc is 10000ugpc below the chain's "
    "minimum 1000000ugpc: run `gpuchain tx provider add-collateral 10000ugpc --from provider`"
)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    """conftest's chain, with a report deadline short enough to fault a lease quickly."""
    started = start_chain(tmp_path / "node", report_interval_blocks=REPORT_INTERVAL_BLOCKS)
    try:
        yield started
    finally:
        started.node.stop()


def collateral_of(chain: Chain) -> str:
    answer = chain.node.rpc.query_message(
        "/gpuchain.provider.v1.Query/Provider",
        provider_query_pb2.QueryProviderRequest(owner=chain.addresses["provider"]),
        provider_query_pb2.QueryProviderResponse(),
    )
    return answer.provider.collateral.amount


def skips() -> int:
    value = metrics.REGISTRY.get_sample_value(
        "gpuchain_provider_skips_total", {"reason": COLLATERAL_BELOW_MINIMUM}
    )
    return int(value or 0)


def test_a_slashed_provider_bids_on_nothing_until_it_adds_collateral(
    chain: Chain, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = provider_home(chain, tmp_path)  # 1000000ugpc locked: the minimum
    provider, tenant = chain.addresses["provider"], chain.addresses["tenant"]
    # A lease won by a bid signed here, never reported by anyone: it faults, 1% is slashed.
    deploy(chain, 700, [group("faulted", "10")])
    bid = create_bid_msg(
        order_id(tenant, 700, 1, 1), provider, Coin("ugpc", 3), Coin("ugpc", 500_000)
    )
    deliver(chain, "provider", [bid])
    wait_until(lambda: collateral_of(chain) == "990000", "the fault slash", timeout=60)

    skipped_before = skips()
    caplog.set_level(logging.INFO, logger="provider")
    running = Running(home)
    deploy(chain, 701, [group("web", "10")])
    state = running.daemon.state
    wait_until(lambda: len(state.decisions_for_deployment(701)) == 1, "the decision on 701")
    height = chain.node.last_height()
    wait_until(lambda: state.processed_height() > height + 2, "a few more blocks")
    lines = provider_output("explain", "701", "--home", str(home)).splitlines()
    assert SHORTFALL in lines[0]
    assert skips() > skipped_before
    assert [b for b in bids_of(chain) if b[0] == 701] == []
    assert state.reserved().cpu_millis == 0  # no bid decided, so none queued for the sender
    _, sequence = chain.node.account(provider)
    assert sequence == 2  # the registration and the bid signed here: the daemon sent nothing
    warnings = [r.getMessage() for r in caplog.records if "no bid can land" in r.getMessage()]
    assert len(warnings) == 1 and "add-collateral 10000ugpc --from provider" in warnings[0]

    deliver(chain, "provider", [add_collateral_msg(provider, Coin("ugpc", 10_000))])
    deploy(chain, 702, [group("after the top-up", "10")])
    wait_until(lambda: (702, 1, "3") in bids_of(chain), "the bid after add-collateral")
    running.stop()
