"""The marketplace in process over real LevelDB: orders open with groups, providers bid,
the end of the bid window matches (lowest price, then reputation, then the earliest bid),
leases pay through escrow, and every bad input is refused with its registered error and
no change. The node checks every invariant after every block (market indexes and
deposits, escrow conservation), so each test also proves they hold throughout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_fixtures import Chain, assert_reimports_identically
from market_helpers import (
    AUDITOR,
    BID_WINDOW,
    DEPOSIT,
    DISTRIBUTION,
    ESCROW,
    FEE,
    MARKET,
    MIN_BID_DEPOSIT,
    PROVIDERS,
    STRANGER,
    TENANT,
    bid,
    bid_id,
    bid_msg,
    blocks_until,
    deploy,
    escrow,
    events_in,
    gpu_group,
    lease,
    lease_id,
    market_chain,
    ok,
    one_block,
    order,
    order_id,
    refused,
    ugpc,
)

from chain.pb.gpuchain.market.v1 import market_pb2
from chain.store import Overlay
from chain.testing import TestNode
from chain.wiring import default_app_state
from x.audit.msgs import sign_attributes_msg
from x.deployment import msgs as deployment_msgs
from x.market import msgs
from x.market.module import MarketModule
from x.market.types import BidRef
from x.market.usage_msgs import report_usage_msg
from x.provider.msgs import delete_provider_msg

P1, P2, P3 = PROVIDERS
OPEN = market_pb2.ORDER_STATE_OPEN


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    market = market_chain(tmp_path / "node")
    yield market
    market.node.close()


def win(chain: Chain, provider: object = P1, price: int = 7000, dseq: int = 1) -> int:
    """Deploy dseq (one group), let provider bid alone and win; the lease's height."""
    deploy(chain, dseq)
    ok(chain, provider, bid_msg(provider, price, dseq))  # type: ignore[arg-type]
    blocks_until(chain, order(chain, dseq).window_end)
    return chain.node.height


# --- orders -----------------------------------------------------------------------


def test_each_group_gets_an_order_open_for_the_bid_window(chain: Chain) -> None:
    result = deploy(chain, groups=[gpu_group("a"), gpu_group("b")])
    created = [e for e in result.events if e.type == "order_created"]
    assert len(created) == 2
    for gseq in (1, 2):
        found = order(chain, gseq=gseq)
        assert found.state == OPEN
        assert found.window_end == chain.node.height + BID_WINDOW
        assert found.spec.name == ("a" if gseq == 1 else "b")


def test_an_order_without_bids_reopens_for_another_window(chain: Chain) -> None:
    deploy(chain)
    first_end = order(chain).window_end
    results = blocks_until(chain, first_end)
    reopened = events_in(results, "order_reopened")
    assert reopened == [
        {
            "owner": TENANT.bech32_address,
            "dseq": "1",
            "gseq": "1",
            "oseq": "1",
            "window_end": str(first_end + BID_WINDOW),
        }
    ]
    assert order(chain).state == OPEN and order(chain).window_end == first_end + BID_WINDOW
    ok(chain, P2, bid_msg(P2, 5000))
    blocks_until(chain, first_end + BID_WINDOW)
    assert lease(chain, P2).state == market_pb2.LEASE_STATE_ACTIVE


def test_a_paused_group_closes_its_lease_and_a_started_one_takes_bids_again(
    chain: Chain,
) -> None:
    win(chain, P1)
    deposit_back = chain.balance(P1)
    paused = ok(chain, TENANT, deployment_msgs.group_msg("pause", TENANT.bech32_address, 1, 1))
    closed = [e for e in paused.events if e.type == "lease_closed"]
    assert len(closed) == 1
    assert {a.key: a.value for a in closed[0].attributes}["reason"] == "owner"
    assert lease(chain, P1).state == market_pb2.LEASE_STATE_CLOSED
    assert order(chain).state == market_pb2.ORDER_STATE_CLOSED
    assert bid(chain, P1).state == market_pb2.BID_STATE_CLOSED
    assert chain.balance(P1) > deposit_back  # the bid deposit and the lease's pay came back
    started = ok(chain, TENANT, deployment_msgs.group_msg("start", TENANT.bech32_address, 1, 1))
    assert [e.type for e in started.events].count("order_created") == 1
    assert order(chain, oseq=2).state == OPEN
    ok(chain, P2, bid_msg(P2, 6000, oseq=2))
    blocks_until(chain, order(chain, oseq=2).window_end)
    assert lease(chain, P2, oseq=2).state == market_pb2.LEASE_STATE_ACTIVE


# --- bids -------------------------------------------------------------------------


def test_a_bid_up_to_the_groups_max_price_times_its_count_is_taken(chain: Chain) -> None:
    deploy(chain, groups=[gpu_group(price="10000.5", count=2)])
    assert refused(chain, P1, bid_msg(P1, 20002)) == ("market", 6)
    ok(chain, P1, bid_msg(P1, 20001))
    assert bid(chain, P1).state == market_pb2.BID_STATE_OPEN


def test_bad_bids_are_refused_and_change_nothing(chain: Chain) -> None:
    deploy(chain)
    market_before = chain.balance(MARKET)
    stranger_before = chain.balance(STRANGER)

    def bids_and_leases() -> list[object]:
        market = chain.node.app.export_genesis()["market"]
        return [market["bids"], market["leases"], market["next_bid_sequence"]]

    state_before = bids_and_leases()  # the order itself re-opens as blocks pass
    assert refused(chain, STRANGER, bid_msg(STRANGER, 5000)) == ("market", 8)
    assert chain.balance(STRANGER) == stranger_before - FEE
    assert refused(chain, P1, bid_msg(P1, 5000, deposit=MIN_BID_DEPOSIT - 1)) == ("market", 7)
    assert refused(chain, P1, bid_msg(P1, 5000, dseq=9)) == ("market", 3)  # no such order
    foreign = msgs.create_bid_msg(
        msgs.order_id(P2.bech32_address, 1, 1, 1), P1.bech32_address, ugpc(5), ugpc(10**6)
    )
    assert refused(chain, P1, foreign) == ("market", 3)
    other = gpu_group()
    other.resources[0].resource.cpu_millis = 8_000
    wrong = msgs.create_bid_msg(
        order_id(), P1.bech32_address, ugpc(5000), ugpc(MIN_BID_DEPOSIT), other.resources
    )
    assert refused(chain, P1, wrong) == ("market", 11)
    bad_denom = msgs.create_bid_msg(order_id(), P1.bech32_address, ugpc(5), ugpc(MIN_BID_DEPOSIT))
    bad_denom.price.denom = "uatom"
    assert refused(chain, P1, bad_denom) == ("market", 18)
    assert chain.balance(MARKET) == market_before
    assert bids_and_leases() == state_before
    exact = msgs.create_bid_msg(
        order_id(), P1.bech32_address, ugpc(5000), ugpc(MIN_BID_DEPOSIT), gpu_group().resources
    )
    ok(chain, P1, exact)
    assert refused(chain, P1, bid_msg(P1, 4000)) == ("market", 5)  # one bid per provider
    assert bid(chain, P1).price.amount == "5000"
    blocks_until(chain, order(chain).window_end)
    assert refused(chain, P2, bid_msg(P2, 4000)) == ("market", 4)  # the window has ended


def test_placement_attributes_and_signed_by_are_met_or_refused(chain: Chain) -> None:
    deploy(chain, 1, [gpu_group(attributes=[("region", "us")])])
    assert refused(chain, P1, bid_msg(P1, 5000, 1)) == ("market", 9)
    deploy(chain, 2, [gpu_group(all_of=[AUDITOR.bech32_address])])
    assert refused(chain, P1, bid_msg(P1, 5000, 2)) == ("market", 10)
    ok(
        chain,
        AUDITOR,
        sign_attributes_msg(P1.bech32_address, AUDITOR.bech32_address, [("region", "eu")]),
    )
    ok(chain, P1, bid_msg(P1, 5000, 2))
    deploy(chain, 3, [gpu_group(any_of=[STRANGER.bech32_address, AUDITOR.bech32_address])])
    ok(chain, P1, bid_msg(P1, 5000, 3))
    assert refused(chain, P2, bid_msg(P2, 5000, 3)) == ("market", 10)


def test_an_order_takes_at_most_order_max_bids(tmp_path: Path) -> None:
    chain = market_chain(tmp_path / "node", max_bids=2)
    try:
        deploy(chain)
        ok(chain, P1, bid_msg(P1, 5000))
        ok(chain, P2, bid_msg(P2, 5000))
        assert refused(chain, P3, bid_msg(P3, 1000)) == ("market", 12)
    finally:
        chain.node.close()


def test_a_provider_with_open_bids_or_leases_cannot_leave(chain: Chain) -> None:
    deploy(chain)
    ok(chain, P1, bid_msg(P1, 5000))
    assert refused(chain, P1, delete_provider_msg(P1.bech32_address)) == ("provider", 7)
    ok(chain, P1, msgs.close_bid_msg(bid_id(P1)))
    assert bid(chain, P1).state == market_pb2.BID_STATE_CLOSED
    ok(chain, P1, delete_provider_msg(P1.bech32_address))


def test_closing_an_open_bid_refunds_its_deposit(chain: Chain) -> None:
    deploy(chain)
    before = chain.balance(P1)
    ok(chain, P1, bid_msg(P1, 5000))
    result = ok(chain, P1, msgs.close_bid_msg(bid_id(P1)))
    assert [e.type for e in result.events].count("bid_closed") == 1
    assert chain.balance(P1) == before - 2 * FEE
    assert refused(chain, P1, msgs.close_bid_msg(bid_id(P1))) == ("market", 14)
    assert refused(chain, P2, msgs.close_bid_msg(bid_id(P2))) == ("market", 13)


# --- matching ---------------------------------------------------------------------


def test_the_lowest_bid_wins_at_the_end_of_the_window(chain: Chain) -> None:
    deploy(chain)
    created = order(chain)
    before = [chain.balance(key) for key in PROVIDERS]
    prices = (9000, 7000, 8000)
    one_block(
        chain, *[(key, bid_msg(key, price)) for key, price in zip(PROVIDERS, prices, strict=True)]
    )
    assert chain.balance(MARKET) == 3 * MIN_BID_DEPOSIT
    results = blocks_until(chain, created.window_end)
    assert order(chain).state == market_pb2.ORDER_STATE_ACTIVE
    won = lease(chain, P2)
    assert won.state == market_pb2.LEASE_STATE_ACTIVE and won.price.amount == "7000"
    assert won.created_at == created.window_end
    assert [bid(chain, key).state for key in PROVIDERS] == [
        market_pb2.BID_STATE_LOST,
        market_pb2.BID_STATE_ACTIVE,
        market_pb2.BID_STATE_LOST,
    ]
    assert sorted(e["provider"] for e in events_in(results, "bid_lost")) == sorted(
        [P1.bech32_address, P3.bech32_address]
    )
    assert events_in(results, "lease_created") == [
        {
            "owner": TENANT.bech32_address,
            "dseq": "1",
            "gseq": "1",
            "oseq": "1",
            "provider": P2.bech32_address,
            "price": "7000",
        }
    ]
    # Lost bids got their deposits back; the winner's stays locked with its lease.
    assert chain.balance(P1) == before[0] - FEE
    assert chain.balance(P2) == before[1] - FEE - MIN_BID_DEPOSIT
    assert chain.balance(MARKET) == MIN_BID_DEPOSIT
    assert escrow(chain).rate == "7000"


def test_equal_prices_go_to_the_better_reputation_then_the_earliest_bid(
    tmp_path: Path,
) -> None:
    chain = market_chain(tmp_path / "node", completed=(0, 0, 1))
    try:
        deploy(chain, 1)
        one_block(chain, (P1, bid_msg(P1, 5000, 1)), (P3, bid_msg(P3, 5000, 1)))
        blocks_until(chain, order(chain, 1).window_end)
        assert bid(chain, P3, 1).state == market_pb2.BID_STATE_ACTIVE
        deploy(chain, 2)
        ok(chain, P2, bid_msg(P2, 5000, 2))
        ok(chain, P1, bid_msg(P1, 5000, 2))
        blocks_until(chain, order(chain, 2).window_end)
        assert bid(chain, P2, 2).state == market_pb2.BID_STATE_ACTIVE
        assert bid(chain, P1, 2).state == market_pb2.BID_STATE_LOST
    finally:
        chain.node.close()


def test_the_owner_may_pick_a_bid_before_the_window_ends(chain: Chain) -> None:
    deploy(chain)
    one_block(chain, (P1, bid_msg(P1, 5000)), (P2, bid_msg(P2, 9000)))
    # A lease by anyone but the owner: the message must be signed by the order's owner.
    assert refused(chain, STRANGER, msgs.create_lease_msg(bid_id(P2))) == ("sdk", 4)
    result = ok(chain, TENANT, msgs.create_lease_msg(bid_id(P2)))
    assert chain.node.height <= order(chain).window_end
    assert [e.type for e in result.events].count("lease_created") == 1
    assert lease(chain, P2).price.amount == "9000"
    assert bid(chain, P1).state == market_pb2.BID_STATE_LOST
    assert refused(chain, TENANT, msgs.create_lease_msg(bid_id(P1))) == ("market", 4)
    blocks_until(chain, order(chain).window_end)
    assert lease(chain, P2).state == market_pb2.LEASE_STATE_ACTIVE  # no second match


# --- leases and escrow ------------------------------------------------------------


def test_a_lease_accrues_and_the_provider_withdraws_less_the_take_rate(chain: Chain) -> None:
    start = win(chain, P1, price=7001)
    pool_before = chain.balance(DISTRIBUTION)
    provider_before = chain.balance(P1)
    # Withdraw pays only reported blocks (x/market/USAGE.md): report them in the same tx.
    reported = report_usage_msg(lease_id(P1), start + 1, chain.node.height + 1)
    result = ok(chain, P1, reported, msgs.withdraw_lease_msg(lease_id(P1)))
    blocks = chain.node.height - start
    accrued = 7001 * blocks
    taken = accrued * 200 // 10_000
    withdrawn = [e for e in result.events if e.type == "lease_withdrawn"]
    assert {a.key: a.value for a in withdrawn[0].attributes}["paid"] == str(accrued - taken)
    assert chain.balance(P1) == provider_before - FEE + accrued - taken
    account = escrow(chain)
    assert (account.transferred, account.taken, account.accrued) == (
        str(accrued - taken),
        str(taken),
        "0",
    )
    assert int(account.balance) == DEPOSIT - accrued
    assert chain.balance(DISTRIBUTION) >= pool_before + taken


def test_only_the_provider_withdraws_and_only_the_owner_closes_as_owner(chain: Chain) -> None:
    win(chain, P1)
    assert refused(chain, STRANGER, msgs.withdraw_lease_msg(lease_id(P1))) == ("sdk", 4)
    as_owner = msgs.close_lease_msg(lease_id(P1), market_pb2.LEASE_CLOSED_REASON_OWNER)
    assert refused(chain, P1, as_owner) == ("sdk", 4)
    bad = msgs.close_lease_msg(lease_id(P1), market_pb2.LEASE_CLOSED_REASON_INSUFFICIENT_FUNDS)
    assert refused(chain, TENANT, bad) == ("market", 17)
    assert lease(chain, P1).state == market_pb2.LEASE_STATE_ACTIVE
    assert refused(chain, P2, msgs.withdraw_lease_msg(lease_id(P2))) == ("market", 15)


def test_the_owner_closes_a_lease_once_and_its_group_closes(chain: Chain) -> None:
    win(chain, P1)
    close = msgs.close_lease_msg(lease_id(P1), market_pb2.LEASE_CLOSED_REASON_OWNER)
    result = ok(chain, TENANT, close)
    assert "group_closed" in [e.type for e in result.events]
    assert lease(chain, P1).reason == market_pb2.LEASE_CLOSED_REASON_OWNER
    assert refused(chain, TENANT, close) == ("market", 16)
    assert refused(chain, P1, msgs.withdraw_lease_msg(lease_id(P1))) == ("market", 16)


def test_a_provider_walking_away_reopens_the_group_for_bids(chain: Chain) -> None:
    win(chain, P1)
    ok(chain, P1, msgs.close_bid_msg(bid_id(P1)))  # a won bid closes its lease
    assert lease(chain, P1).reason == market_pb2.LEASE_CLOSED_REASON_PROVIDER
    assert order(chain, oseq=2).state == OPEN
    ok(chain, P2, bid_msg(P2, 6000, oseq=2))
    blocks_until(chain, order(chain, oseq=2).window_end)
    ok(
        chain,
        P2,
        msgs.close_lease_msg(lease_id(P2, oseq=2), market_pb2.LEASE_CLOSED_REASON_MANIFEST_TIMEOUT),
    )
    assert order(chain, oseq=3).state == OPEN


def test_escrow_running_dry_closes_the_lease_in_that_block_and_pauses_the_group(
    chain: Chain,
) -> None:
    deploy(chain, groups=[gpu_group(price="1000000")], deposit=DEPOSIT)
    ok(chain, P1, bid_msg(P1, 1_000_000))
    start_results = blocks_until(chain, order(chain).window_end)
    start = chain.node.height
    assert events_in(start_results, "lease_created")
    dry = int(escrow(chain).dry_height)
    assert dry == start + DEPOSIT // 1_000_000 + 1
    # blocks_remaining counts from now, not from the last settlement: one less each block
    # while nothing settles, down to 0 in the last block the deposit pays.
    for height in range(start, dry):
        blocks_until(chain, height)
        account = escrow(chain)
        assert account.settled_at == start
        assert account.blocks_remaining == dry - 1 - height
    assert lease(chain, P1).state == market_pb2.LEASE_STATE_ACTIVE
    results = blocks_until(chain, dry)
    closed = events_in(results, "lease_closed")
    assert [event["reason"] for event in closed] == ["insufficient_funds"]
    assert lease(chain, P1).closed_at == dry
    assert events_in(results, "group_paused") == [
        {"owner": TENANT.bech32_address, "dseq": "1", "gseq": "1"}
    ]
    account = escrow(chain)
    assert int(account.transferred) + int(account.taken) == DEPOSIT
    assert account.balance == "0" and account.rate == "0"


def test_closing_the_deployment_closes_leases_refunds_bids_and_escrow(chain: Chain) -> None:
    deploy(chain, groups=[gpu_group("a"), gpu_group("b")])
    one_block(
        chain,
        (P1, bid_msg(P1, 1000, gseq=1)),
        (P2, bid_msg(P2, 2000, gseq=2)),
        (P3, bid_msg(P3, 2500, gseq=2)),
    )
    blocks_until(chain, order(chain).window_end)
    start = chain.node.height
    tenant_before = chain.balance(TENANT)
    p1_before, p2_before = chain.balance(P1), chain.balance(P2)
    result = ok(chain, TENANT, deployment_msgs.close_msg(TENANT.bech32_address, 1))
    blocks = chain.node.height - start
    reasons = [
        {a.key: a.value for a in e.attributes}["reason"]
        for e in result.events
        if e.type == "lease_closed"
    ]
    assert reasons == ["deployment_closed", "deployment_closed"]
    paid1 = 1000 * blocks - 1000 * blocks * 200 // 10_000
    paid2 = 2000 * blocks - 2000 * blocks * 200 // 10_000
    assert chain.balance(P1) == p1_before + paid1 + MIN_BID_DEPOSIT
    assert chain.balance(P2) == p2_before + paid2 + MIN_BID_DEPOSIT
    assert chain.balance(TENANT) == tenant_before - FEE + DEPOSIT - 3000 * blocks
    assert chain.balance(ESCROW) == 0 and chain.balance(MARKET) == 0


# --- genesis ----------------------------------------------------------------------


def test_genesis_export_and_import_keep_the_market(chain: Chain, tmp_path: Path) -> None:
    win(chain, P1, dseq=1)
    deploy(chain, 2)
    ok(chain, P2, bid_msg(P2, 4000, 2))
    exported = assert_reimports_identically(chain.node, tmp_path / "copy")
    assert len(exported["market"]["orders"]) == 2
    assert len(exported["market"]["bids"]) == 2
    assert len(exported["market"]["leases"]) == 1


def test_a_malformed_market_genesis_is_refused(tmp_path: Path) -> None:
    from market_helpers import market_genesis

    state = market_genesis()
    state["market"]["leases"] = [
        {
            "lease_id": {
                "owner": TENANT.bech32_address,
                "dseq": "1",
                "gseq": 1,
                "oseq": 1,
                "provider": P1.bech32_address,
            },
            "state": "LEASE_STATE_ACTIVE",
        }
    ]
    node = TestNode(tmp_path / "bad")
    try:
        with pytest.raises(Exception, match="has no bid"):
            node.init_chain(state)
    finally:
        node.close()


def test_the_invariants_catch_a_second_lease_an_orphan_lease_and_a_deposit_leak(
    chain: Chain,
) -> None:
    win(chain, P1)
    module = chain.node.modules.get(MarketModule)
    keeper = module.keeper

    def broken(store: Overlay) -> list[str]:
        return [c.name for c in module.invariants() if c.check(store) is not None]

    clean = Overlay(chain.node.app.store.committed())
    assert broken(clean) == []
    second = Overlay(chain.node.app.store.committed())
    ref = BidRef.of(lease_id(P2))
    first = keeper.lease(second, BidRef.of(lease_id(P1)))
    assert first is not None
    copied = market_pb2.Lease()
    copied.CopyFrom(first)
    copied.lease_id.CopyFrom(lease_id(P2))
    keeper.set_lease(second, ref, copied, None)
    assert "market/leases" in broken(second)
    leak = Overlay(chain.node.app.store.committed())
    bid_ref = BidRef.of(lease_id(P1))
    won = keeper.bid(leak, bid_ref)
    assert won is not None
    cheaper = market_pb2.Bid()
    cheaper.CopyFrom(won)
    cheaper.deposit.amount = "1"
    keeper.set_bid(leak, bid_ref, cheaper, won)
    assert broken(leak) == ["market/bids"]


def test_a_fresh_genesis_suits_a_local_chain() -> None:
    params = default_app_state()["market"]["params"]  # what `gpuchain init` writes
    assert isinstance(params, dict) and 1 <= params["bid_window_blocks"] <= 10
