"""2,000 active leases in state: the block where some leases' reports fall due closes
exactly those leases as provider faults, and no other block closes any. The state is built
a few hundred leases a block through the keepers (x/market/seed.py), reports go through
the usage keeper, invariants run once at the end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from market_helpers import SEED_PRICE, events_in, seeded_market

from chain.context import Context
from x.market.module import MarketModule
from x.market.usage_module import UsageModule
from x.market.usage_msgs import report_usage_msg

LEASES = 2_000
PER_BLOCK = 250
INTERVAL = 30


def test_overdue_reports_close_exactly_those_leases_in_their_due_block(tmp_path: Path) -> None:
    seeded = seeded_market(tmp_path / "node", report_interval=INTERVAL)
    node, actions, leases = seeded.node, seeded.seeder, seeded.leases
    usage = node.modules.get(UsageModule).keeper
    silent = {dseq for dseq in range(1, LEASES + 1) if dseq % 97 == 0}

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
            seeded.seed(range(first, first + PER_BLOCK), lambda _ctx, _dseq: SEED_PRICE * 1_000)
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
        assert seeded.active_dseqs() == set(range(1, LEASES + 1)) - silent
        seeded.assert_invariants(MarketModule, UsageModule)
    finally:
        node.close()
