"""Usage reports and provider faults in process over real LevelDB: a lease's provider
reports period after period, a withdraw pays only reported blocks, a lease whose reports
stop is closed as a provider fault in the block its report was due, the tenant gets back
the unreported blocks and a share of the provider's slashed collateral, and reputation
moves matching. The node checks every invariant after every block (escrow conservation,
collateral held, usage schedules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chain_fixtures import Chain
from market_helpers import (
    DEPOSIT,
    ESCROW,
    FEE,
    MARKET,
    MIN_BID_DEPOSIT,
    PROVIDERS,
    TENANT,
    bid,
    bid_msg,
    blocks_until,
    deliver,
    deploy,
    escrow,
    events_in,
    gpu_group,
    lease,
    lease_id,
    ok,
    order,
)
from usage_helpers import (
    H100,
    INTERVAL,
    PRICE,
    lease_at_window_end,
    report,
    reputation,
    usage,
    usage_chain,
)

from chain.coins import Coin
from chain.pb.gpuchain.market.v1 import market_pb2, usage_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.rest import build_request, rest_routes
from chain.testing import TestNode, genesis_state
from x.market import queries as market_queries
from x.market.msgs import close_lease_msg, withdraw_lease_msg
from x.market.usage_queries import USAGE_PATH
from x.provider.keeper import COLLATERAL_ACCOUNT
from x.provider.msgs import add_collateral_msg

PROVIDER = PROVIDERS[0]
COLLATERAL = 1_000_000
SLASH = COLLATERAL * 100 // 10_000  # slash_fraction_lease_fault_bps default: 1%
TO_TENANT = SLASH * 5000 // 10_000  # fault_tenant_share_bps default: half


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    started = usage_chain(tmp_path / "node")
    yield started
    started.node.close()


def take(amount: int) -> int:
    return amount * 200 // 10_000  # the helpers' take_rate_bps


def test_a_report_is_stored_and_moves_the_due_height(chain: Chain) -> None:
    leased = lease_at_window_end(chain)
    fresh = usage(chain)
    assert (fresh.reported_until, fresh.next_report_due) == (leased, leased + INTERVAL)
    result = ok(chain, PROVIDER, report(PROVIDER, leased + 1, leased + 1))
    [reported] = events_in([result], "usage_reported")
    assert reported == {
        "owner": TENANT.bech32_address,
        "dseq": "1",
        "gseq": "1",
        "oseq": "1",
        "provider": PROVIDER.bech32_address,
        "start_height": str(leased + 1),
        "end_height": str(leased + 1),
        "gpus": "1",
        "next_due": str(leased + 1 + INTERVAL),
    }
    answer = usage(chain)
    assert (answer.reported_until, answer.next_report_due) == (leased + 1, leased + 1 + INTERVAL)
    [stored] = answer.reports
    assert (stored.start_height, stored.end_height, stored.reported_at) == (
        leased + 1,
        leased + 1,
        leased + 1,
    )
    assert list(stored.gpus) == [H100]
    counters = reputation(chain, PROVIDER)
    # One block of a 5-block interval: no whole interval reported on time yet.
    assert (counters.reputation.leases_won, counters.reputation.reports_on_time) == (1, 0)
    assert counters.score == 0


def test_reputation_counts_intervals_reported_on_time_not_reports(chain: Chain) -> None:
    leased = lease_at_window_end(chain)
    for block in range(1, 2 * INTERVAL + 1):  # a report every block, for two intervals
        ok(chain, PROVIDER, report(PROVIDER, leased + block, leased + block))
        on_time = reputation(chain, PROVIDER).reputation.reports_on_time
        assert on_time == block // INTERVAL
    assert reputation(chain, PROVIDER).score == 2


def test_reports_page_oldest_first(chain: Chain) -> None:
    leased = lease_at_window_end(chain)
    for _ in range(3):
        start = usage(chain).reported_until + 1
        ok(chain, PROVIDER, report(PROVIDER, start, chain.node.height + 1))
    lease = lease_id(PROVIDER)
    request = usage_pb2.QueryUsageRequest(
        owner=lease.owner, dseq=1, gseq=1, oseq=1, provider=lease.provider
    )
    request.pagination.limit = 2
    first = chain.node.query(USAGE_PATH, request, usage_pb2.QueryUsageResponse())
    assert [r.start_height for r in first.reports] == [leased + 1, leased + 2]
    request.pagination.key = first.pagination.next_key
    rest = chain.node.query(USAGE_PATH, request, usage_pb2.QueryUsageResponse())
    assert [r.start_height for r in rest.reports] == [leased + 3]
    assert not rest.pagination.next_key


def _other_providers_lease(leased: int) -> usage_pb2.MsgReportUsage:
    message = report(PROVIDER, leased + 2, leased + 2)
    message.provider = PROVIDERS[1].bech32_address
    return message


def _many_gpus(leased: int) -> usage_pb2.MsgReportUsage:
    gpus = [usage_pb2.GpuUsage(uuid=f"GPU-{index}", model="H100") for index in range(65)]
    return report(PROVIDER, leased + 2, leased + 2, gpus)


BAD_REPORTS: list[tuple[str, Callable[[int], usage_pb2.MsgReportUsage], str, int, str]] = [
    ("another provider's lease", _other_providers_lease, "usage", 3, "may not report"),
    (
        "a lease that does not exist",
        lambda leased: report(PROVIDERS[1], leased + 2, leased + 2),
        "market",
        15,
        "no lease",
    ),
    (
        "end before start",
        lambda leased: report(PROVIDER, leased + 3, leased + 2),
        "usage",
        2,
        "is before start_height",
    ),
    (
        "overlapping the earlier period",
        lambda leased: report(PROVIDER, leased + 1, leased + 2),
        "usage",
        4,
        "overlaps an earlier period",
    ),
    (
        "before the lease",
        lambda leased: report(PROVIDER, leased, leased + 2),
        "usage",
        4,
        "overlaps an earlier period",
    ),
    (
        "a gap after the earlier period",
        lambda leased: report(PROVIDER, leased + 3, leased + 3),
        "usage",
        4,
        "leaves a gap",
    ),
    (
        "an end after the current height",
        lambda leased: report(PROVIDER, leased + 2, leased + 50),
        "usage",
        5,
        "after the current height",
    ),
    (
        "utilisation above 100%",
        lambda leased: report(
            PROVIDER,
            leased + 2,
            leased + 2,
            [usage_pb2.GpuUsage(uuid="GPU-1", model="H100", avg_utilization_bps=10_001)],
        ),
        "usage",
        2,
        "avg_utilization_bps 10001",
    ),
    ("65 GPUs", _many_gpus, "usage", 2, "at most 64"),
    (
        "a GPU listed twice",
        lambda leased: report(PROVIDER, leased + 2, leased + 2, [H100, H100]),
        "usage",
        2,
        "listed twice",
    ),
    (
        "a GPU without a uuid",
        lambda leased: report(
            PROVIDER, leased + 2, leased + 2, [usage_pb2.GpuUsage(uuid="", model="H100")]
        ),
        "usage",
        2,
        "gpus[0].uuid",
    ),
]


@pytest.mark.parametrize(
    ("build", "codespace", "code", "fragment"),
    [case[1:] for case in BAD_REPORTS],
    ids=[case[0] for case in BAD_REPORTS],
)
def test_a_bad_report_is_refused_and_changes_nothing(
    chain: Chain,
    build: Callable[[int], usage_pb2.MsgReportUsage],
    codespace: str,
    code: int,
    fragment: str,
) -> None:
    leased = lease_at_window_end(chain)
    ok(chain, PROVIDER, report(PROVIDER, leased + 1, leased + 1))
    chain.node.block()  # the bad report comes in block leased + 3
    before = chain.node.app.export_genesis()
    message = build(leased)
    signer = next(key for key in PROVIDERS if key.bech32_address == message.provider)
    result = deliver(chain, signer, message)
    assert (result.codespace, result.code) == (codespace, code), result.log
    assert fragment in result.log
    after = chain.node.app.export_genesis()
    assert after["usage"] == before["usage"]
    assert after["provider"]["reputations"] == before["provider"]["reputations"]


def test_a_report_on_a_closed_lease_is_refused(chain: Chain) -> None:
    leased = lease_at_window_end(chain)
    ok(chain, TENANT, close_lease_msg(lease_id(PROVIDER), market_pb2.LEASE_CLOSED_REASON_OWNER))
    result = deliver(chain, PROVIDER, report(PROVIDER, leased + 1, leased + 1))
    assert (result.codespace, result.code) == ("market", 16), result.log
    assert usage(chain).next_report_due == 0


def test_a_withdraw_pays_only_the_reported_blocks(chain: Chain) -> None:
    leased = lease_at_window_end(chain)
    ok(chain, PROVIDER, report(PROVIDER, leased + 1, leased + 1))
    chain.node.block()
    before = chain.balance(PROVIDER)
    result = ok(chain, PROVIDER, withdraw_lease_msg(lease_id(PROVIDER)))  # at leased + 3
    assert chain.balance(PROVIDER) == before - FEE + PRICE - take(PRICE)
    [withdrawn] = events_in([result], "lease_withdrawn")
    assert withdrawn["paid"] == str(PRICE - take(PRICE))
    account = escrow(chain)
    assert (int(account.accrued), int(account.balance)) == (2 * PRICE, DEPOSIT - 3 * PRICE)
    ok(chain, PROVIDER, report(PROVIDER, leased + 2, leased + 4))  # at leased + 4
    before = chain.balance(PROVIDER)
    ok(chain, PROVIDER, withdraw_lease_msg(lease_id(PROVIDER)))  # at leased + 5
    assert chain.balance(PROVIDER) == before - FEE + 3 * PRICE - take(3 * PRICE)
    assert int(escrow(chain).accrued) == PRICE  # block leased + 5, not reported yet


def test_missed_reports_close_the_lease_as_a_fault_refund_the_tenant_and_slash_the_provider(
    chain: Chain,
) -> None:
    leased = lease_at_window_end(chain)
    ok(chain, PROVIDER, report(PROVIDER, leased + 1, leased + 1))
    due = leased + 1 + INTERVAL
    blocks_until(chain, due - 1)
    assert lease(chain, PROVIDER).state == market_pb2.LEASE_STATE_ACTIVE
    provider_before = chain.balance(PROVIDER)
    tenant_before = chain.balance(TENANT)
    collateral_before = chain.balance(COLLATERAL_ACCOUNT.address)

    [faulted] = blocks_until(chain, due)

    closed = lease(chain, PROVIDER)
    assert closed.state == market_pb2.LEASE_STATE_CLOSED
    assert closed.reason == market_pb2.LEASE_CLOSED_REASON_PROVIDER_FAULT
    assert closed.closed_at == due
    # One reported block is paid (less the take rate) with the bid deposit back; the
    # other INTERVAL blocks go back to the tenant's escrow balance.
    assert chain.balance(PROVIDER) == provider_before + PRICE - take(PRICE) + MIN_BID_DEPOSIT
    account = escrow(chain)
    assert int(account.balance) == DEPOSIT - PRICE
    assert (int(account.accrued), int(account.transferred), int(account.taken)) == (
        0,
        PRICE - take(PRICE),
        take(PRICE),
    )
    assert chain.balance(ESCROW) == DEPOSIT - PRICE
    # The slash: 1% of the collateral, half to the tenant, half to the community pool.
    assert chain.balance(COLLATERAL_ACCOUNT.address) == collateral_before - SLASH
    assert chain.balance(TENANT) == tenant_before + TO_TENANT
    [fault] = events_in([faulted], "lease_fault")
    assert fault == {
        "owner": TENANT.bech32_address,
        "dseq": "1",
        "gseq": "1",
        "oseq": "1",
        "provider": PROVIDER.bech32_address,
        "reported_until": str(leased + 1),
        "due": str(due),
        "refunded": str(INTERVAL * PRICE),
        "slashed": str(SLASH),
        "to_tenant": str(TO_TENANT),
        "to_community_pool": str(SLASH - TO_TENANT),
    }
    [slashed] = events_in([faulted], "provider_slashed")
    assert (slashed["owner"], slashed["amount"]) == (PROVIDER.bech32_address, f"{SLASH}ugpc")
    [closed_event] = events_in([faulted], "lease_closed")
    assert closed_event["reason"] == "provider_fault"
    counters = reputation(chain, PROVIDER)
    assert (
        counters.reputation.leases_won,
        counters.reputation.leases_completed,
        counters.reputation.leases_failed,
        counters.reputation.reports_on_time,
        counters.reputation.slashes,
    ) == (1, 0, 1, 0, 1)
    assert counters.score == -1000 - 1000
    # The group looks for a new provider; the schedule is gone with the lease.
    assert order(chain, oseq=2).state == market_pb2.ORDER_STATE_OPEN
    assert (usage(chain).reported_until, usage(chain).next_report_due) == (0, 0)
    assert [r.end_height for r in usage(chain).reports] == [leased + 1]


def test_a_lease_never_reported_is_closed_interval_blocks_after_it_started(chain: Chain) -> None:
    leased = lease_at_window_end(chain)
    blocks_until(chain, leased + INTERVAL - 1)
    assert lease(chain, PROVIDER).state == market_pb2.LEASE_STATE_ACTIVE
    tenant_before = chain.balance(TENANT)
    blocks_until(chain, leased + INTERVAL)
    assert lease(chain, PROVIDER).reason == market_pb2.LEASE_CLOSED_REASON_PROVIDER_FAULT
    assert int(escrow(chain).balance) == DEPOSIT  # nothing was reported: all of it back
    assert chain.balance(TENANT) == tenant_before + TO_TENANT


def test_a_provider_slashed_below_the_minimum_collateral_cannot_bid_until_it_adds_more(
    chain: Chain,
) -> None:
    leased = lease_at_window_end(chain)
    blocks_until(chain, leased + INTERVAL)  # faults: 1% of the 1000000ugpc minimum slashed
    deploy(chain, 2)
    result = deliver(chain, PROVIDER, bid_msg(PROVIDER, PRICE, 2))
    assert (result.codespace, result.code) == ("market", 21)
    assert f"is {SLASH}ugpc short of the minimum" in result.log
    assert f"tx provider add-collateral {SLASH}ugpc" in result.log
    assert chain.balance(MARKET) == 0  # no bid deposit taken
    ok(chain, PROVIDER, add_collateral_msg(PROVIDER.bech32_address, Coin("ugpc", SLASH)))
    ok(chain, PROVIDER, bid_msg(PROVIDER, PRICE, 2))
    assert bid(chain, PROVIDER, 2).created_at == chain.node.height


def test_a_fault_on_a_chain_whose_community_pool_takes_another_denom_never_halts_it(
    tmp_path: Path,
) -> None:
    """The community pool takes only the bond denom: with ustake bonded, the slashed ugpc
    collateral goes to the tenant whole, and the reported block's payout keeps its take
    (escrow_take_waived), where funding the pool raised in the end-block and halted."""
    chain = usage_chain(tmp_path / "node", bond_denom="ustake")
    leased = lease_at_window_end(chain)
    ok(chain, PROVIDER, report(PROVIDER, leased + 1, leased + 1))
    provider_before = chain.balance(PROVIDER)
    tenant_before = chain.balance(TENANT)
    *_, faulted = blocks_until(chain, leased + 1 + INTERVAL)
    assert lease(chain, PROVIDER).reason == market_pb2.LEASE_CLOSED_REASON_PROVIDER_FAULT
    [fault] = events_in([faulted], "lease_fault")
    assert (fault["slashed"], fault["to_tenant"], fault["to_community_pool"]) == (
        str(SLASH),
        str(SLASH),
        "0",
    )
    assert chain.balance(TENANT) == tenant_before + SLASH
    [waived] = events_in([faulted], "escrow_take_waived")
    assert (waived["waived"], waived["community_pool_denom"]) == (str(take(PRICE)), "ustake")
    assert chain.balance(PROVIDER) == provider_before + PRICE + MIN_BID_DEPOSIT
    chain.node.close()


def test_a_fault_slashing_collateral_in_another_denom_than_the_pool_pays_the_tenant_whole(
    tmp_path: Path,
) -> None:
    """Providers lock uatom: the community pool takes only ugpc, so the whole slash goes
    to the tenant, in uatom, and the block commits."""
    chain = usage_chain(tmp_path / "node", collateral_denom="uatom")
    leased = lease_at_window_end(chain)
    tenant_before = chain.balance(TENANT, "uatom")
    *_, faulted = blocks_until(chain, leased + INTERVAL)
    assert lease(chain, PROVIDER).reason == market_pb2.LEASE_CLOSED_REASON_PROVIDER_FAULT
    [fault] = events_in([faulted], "lease_fault")
    assert (fault["slashed"], fault["to_tenant"], fault["to_community_pool"]) == (
        str(SLASH),
        str(SLASH),
        "0",
    )
    [slashed] = events_in([faulted], "provider_slashed")
    assert slashed["amount"] == f"{SLASH}uatom"
    assert chain.balance(TENANT, "uatom") == tenant_before + SLASH
    chain.node.close()


def test_escrow_running_dry_on_a_chain_whose_community_pool_takes_another_denom_pays_in_full(
    tmp_path: Path,
) -> None:
    """The market's end-block closes a lease whose escrow ran dry, paying out what it
    accrued: with the take waived, not a raise funding a ustake pool with ugpc."""
    chain = usage_chain(tmp_path / "node", bond_denom="ustake")
    deploy(chain, groups=[gpu_group(price=str(DEPOSIT))])
    ok(chain, PROVIDER, bid_msg(PROVIDER, DEPOSIT // 3))
    leased = order(chain).window_end
    blocks_until(chain, leased)
    provider_before = chain.balance(PROVIDER)
    dry = int(escrow(chain).dry_height)
    assert dry == leased + 3 + 1 and dry < leased + INTERVAL  # dry before any report is due
    *_, closed = blocks_until(chain, dry)
    assert lease(chain, PROVIDER).reason == market_pb2.LEASE_CLOSED_REASON_INSUFFICIENT_FUNDS
    [waived] = events_in([closed], "escrow_take_waived")
    paid = 3 * (DEPOSIT // 3)
    assert (waived["waived"], waived["community_pool_denom"]) == (str(take(paid)), "ustake")
    assert chain.balance(PROVIDER) == provider_before + paid + MIN_BID_DEPOSIT
    chain.node.close()


def test_the_owner_closing_pays_the_provider_everything_accrued(chain: Chain) -> None:
    leased = lease_at_window_end(chain)
    blocks_until(chain, leased + 2)
    before = chain.balance(PROVIDER)
    ok(chain, TENANT, close_lease_msg(lease_id(PROVIDER), market_pb2.LEASE_CLOSED_REASON_OWNER))
    # The last period was not due yet: its three blocks are paid, and the lease completed.
    assert chain.balance(PROVIDER) == before + 3 * PRICE - take(3 * PRICE) + MIN_BID_DEPOSIT
    counters = reputation(chain, PROVIDER).reputation
    assert (counters.leases_completed, counters.leases_failed) == (1, 0)


def test_a_faulty_provider_loses_a_price_tie_it_would_have_won_by_bidding_first(
    chain: Chain,
) -> None:
    leased = lease_at_window_end(chain, PROVIDER)
    blocks_until(chain, leased + INTERVAL)  # faults: score -2000
    assert reputation(chain, PROVIDER).score < reputation(chain, PROVIDERS[1]).score == 0
    ok(chain, PROVIDER, add_collateral_msg(PROVIDER.bech32_address, Coin("ugpc", SLASH)))
    deploy(chain, dseq=2)
    ok(chain, PROVIDER, bid_msg(PROVIDER, PRICE, dseq=2))  # first, at the same price
    ok(chain, PROVIDERS[1], bid_msg(PROVIDERS[1], PRICE, dseq=2))
    blocks_until(chain, order(chain, dseq=2).window_end)
    assert lease(chain, PROVIDERS[1], dseq=2).state == market_pb2.LEASE_STATE_ACTIVE
    assert reputation(chain, PROVIDERS[1]).reputation.leases_won == 1


def test_the_rest_path_reaches_the_usage_query(chain: Chain) -> None:
    leased = lease_at_window_end(chain)
    ok(chain, PROVIDER, report(PROVIDER, leased + 1, leased + 1))
    routes = {
        route.template: route.route
        for route in rest_routes(
            found for module in chain.node.modules.in_order() for found in module.query_routes()
        )
    }
    route = routes["/gpuchain/market/v1/usage"]
    assert route.path == USAGE_PATH
    lease = lease_id(PROVIDER)
    query = [
        ("owner", lease.owner),
        ("dseq", "1"),
        ("gseq", "1"),
        ("oseq", "1"),
        ("provider", lease.provider),
    ]
    reader, _, _ = chain.node.app.store.query_view()
    answer = route.handler(reader, build_request(route, {}, query, None))
    assert [r.end_height for r in answer.reports] == [leased + 1]


def test_usage_state_survives_export_and_import(chain: Chain, tmp_path: Path) -> None:
    leased = lease_at_window_end(chain)
    ok(chain, PROVIDER, report(PROVIDER, leased + 1, leased + 1))
    exported = chain.node.app.export_genesis()
    assert len(exported["usage"]["trackers"]) == 1 and len(exported["usage"]["reports"]) == 1
    copy = TestNode(tmp_path / "copy")
    try:
        copy.init_chain(exported)  # the usage/schedules invariant is checked on it too
        copy.block()
        assert copy.app.export_genesis()["usage"] == exported["usage"]
        assert copy.app.export_genesis()["provider"] == exported["provider"]
    finally:
        copy.close()


def test_a_fresh_genesis_wants_a_report_at_least_every_20_blocks(tmp_path: Path) -> None:
    node = TestNode(tmp_path / "fresh")
    try:
        node.init_chain(genesis_state({TENANT.bech32_address: "1000ugpc"}))
        node.block()
        params = node.query(
            market_queries.PARAMS_PATH,
            market_query_pb2.QueryParamsRequest(),
            market_query_pb2.QueryParamsResponse(),
        ).params
    finally:
        node.close()
    assert 1 <= params.report_interval_blocks <= 20
    assert (params.slash_fraction_lease_fault_bps, params.fault_tenant_share_bps) == (100, 5000)
