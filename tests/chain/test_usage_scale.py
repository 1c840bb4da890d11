"""2,000 active leases in state: the block where some leases' reports fall due closes
exactly those leases as provider faults, and no other block closes any. The state is built
a few hundred leases a block through the keepers (x/market/seed.py), reports go through
the usage keeper, invariants run once at the end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from market_helpers import PROVIDERS, TENANT, events_in, gpu_group, market_genesis
from provider_helpers import InBlock

from chain.app import AppConfig
from chain.context import Context
from chain.testing import TestNode
from x.deployment.module import DeploymentModule
from x.market.module import MarketModule
from x.market.seed import seed_leases
from x.market.types import LEASE_ACTIVE, BidRef
from x.market.usage_module import UsageModule
from x.market.usage_msgs import report_usage_msg

LEASES = 2_000
PER_BLOCK = 250
PRICE = 10
INTERVAL = 30


def test_overdue_reports_close_exactly_those_leases_in_their_due_block(tmp_path: Path) -> None:
    actions = InBlock()
    node = TestNode(tmp_path / "node", config=AppConfig(), extra_modules=[actions])
    state = market_genesis()
    state["market"]["params"]["min_bid_deposit"] = "1"
    state["market"]["params"]["report_interval_blocks"] = INTERVAL
    node.init_chain(state)
    market = node.modules.get(MarketModule).keeper
    usage = node.modules.get(UsageModule).keeper
    silent = {dseq for dseq in range(1, LEASES + 1) if dseq % 97 == 0}
    leases: list[BidRef] = []

    def seed(dseqs: range) -> Callable[[Context], None]:
        def action(ctx: Context) -> None:
            leases.extend(
                seed_leases(
                    ctx,
                    market,
                    node.modules.get(DeploymentModule).keeper,
                    TENANT.address,
                    [key.address for key in PROVIDERS],
                    gpu_group(price="10"),
                    dseqs,
                    PRICE,
                    lambda _: PRICE * 1_000,
                )
            )

        return action

    def report_all_but(skipped: set[int]) -> Callable[[Context], None]:
        def action(ctx: Context) -> None:
            for ref in leases:
                if ref.order.dseq in skipped:
                    continue
                tracker = usage.require_tracker(ctx.store, ref)
                message = report_usage_msg(
                    ref.lease_proto(), tracker.reported_until + 1, ctx.height
                )
                usage.record_report(ctx, tracker, message)

        return action

    try:
        for first in range(1, LEASES + 1, PER_BLOCK):
            actions.queued.append(seed(range(first, first + PER_BLOCK)))
            node.block()
        actions.queued.append(report_all_but(set()))
        node.block()
        due = node.height + INTERVAL
        actions.queued.append(report_all_but(silent))
        node.block()
        while node.height < due - 1:
            assert not events_in([node.block()], "lease_closed")
        faulted = node.block()
        closed = events_in([faulted], "lease_closed")
        assert sorted(int(event["dseq"]) for event in closed) == sorted(silent)
        assert {event["reason"] for event in closed} == {"provider_fault"}
        assert len(events_in([faulted], "lease_fault")) == len(silent)
        reader, _, _ = node.app.store.query_view()
        active = {
            ref.order.dseq
            for ref in leases
            if (lease := market.lease(reader, ref)) is not None and lease.state == LEASE_ACTIVE
        }
        assert active == set(range(1, LEASES + 1)) - silent
        for module in (MarketModule, UsageModule):
            for check in node.modules.get(module).invariants():
                assert check.check(reader) is None, check.name
    finally:
        node.close()
