"""10,000 active leases in state: escrow running dry closes exactly the leases of the
deployments that ran out, in the block they ran out, and no others. The state is built a
few hundred leases a block through the keepers (x/market/seed.py); invariants run once
at the end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chain_fixtures import Chain
from market_helpers import PROVIDERS, TENANT, events_in, gpu_group, market_genesis
from provider_helpers import InBlock

from chain.app import AppConfig
from chain.context import Context
from chain.testing import TestNode
from x.deployment.module import DeploymentModule
from x.escrow.module import EscrowModule
from x.market.module import MarketModule
from x.market.seed import seed_leases
from x.market.types import LEASE_ACTIVE, BidRef

LEASES = 10_000
PRICE = 10
PER_BLOCK = 250
SEED_BLOCKS = LEASES // PER_BLOCK
QUIET_BLOCKS = 5  # blocks between the last seeded and the one every 97th deployment runs dry


def test_escrow_running_dry_closes_exactly_those_leases_in_that_block(tmp_path: Path) -> None:
    seeder = InBlock()
    node = TestNode(tmp_path / "node", config=AppConfig(), extra_modules=[seeder])
    state = market_genesis()
    state["market"]["params"]["min_bid_deposit"] = "1"
    # Nobody reports usage here: no lease may fault before its escrow runs dry.
    state["market"]["params"]["report_interval_blocks"] = 1_000
    node.init_chain(state)
    chain = Chain(node)
    market = node.modules.get(MarketModule).keeper
    short = {dseq for dseq in range(1, LEASES + 1) if dseq % 97 == 0}
    leases: list[BidRef] = []
    dry_height = node.height + 1 + SEED_BLOCKS + QUIET_BLOCKS

    def seed(dseqs: range) -> Callable[[Context], None]:
        def action(ctx: Context) -> None:
            short_deposit = PRICE * (dry_height - ctx.height - 1)
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
                    lambda dseq: short_deposit if dseq in short else PRICE * 1_000,
                )
            )

        return action

    try:
        for first in range(1, LEASES + 1, PER_BLOCK):
            seeder.queued.append(seed(range(first, first + PER_BLOCK)))
            node.block()
        assert len(leases) == LEASES
        while node.height < dry_height - 1:
            quiet = node.block()
            assert not events_in([quiet], "lease_closed")
        results = [node.block()]
        assert node.height == dry_height
        closed = events_in(results, "lease_closed")
        assert sorted(int(event["dseq"]) for event in closed) == sorted(short)
        assert {event["reason"] for event in closed} == {"insufficient_funds"}
        reader, _, _ = node.app.store.query_view()
        active = {
            ref.order.dseq
            for ref in leases
            if (lease := market.lease(reader, ref)) is not None and lease.state == LEASE_ACTIVE
        }
        assert active == set(range(1, LEASES + 1)) - short
        for module in (MarketModule, EscrowModule):
            for check in node.modules.get(module).invariants():
                assert check.check(reader) is None, check.name
        assert chain.balance(TENANT) > 0
    finally:
        node.close()
