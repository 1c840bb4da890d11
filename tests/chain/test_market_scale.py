"""10,000 active leases in state: escrow running dry closes exactly the leases of the
deployments that ran out, in the block they ran out, and no others. The state is built a
few hundred leases a block through the keepers (x/market/seed.py); invariants run once
at the end."""

from __future__ import annotations

from pathlib import Path

from chain_fixtures import Chain
from market_helpers import SEED_PRICE, TENANT, events_in, seeded_market

from chain.context import Context
from x.escrow.module import EscrowModule
from x.market.module import MarketModule

LEASES = 10_000
PER_BLOCK = 250
SEED_BLOCKS = LEASES // PER_BLOCK
QUIET_BLOCKS = 5  # blocks between the last seeded and the one every 97th deployment runs dry


def test_escrow_running_dry_closes_exactly_those_leases_in_that_block(tmp_path: Path) -> None:
    # Nobody reports usage here: no lease may fault before its escrow runs dry.
    seeded = seeded_market(tmp_path / "node", report_interval=1_000)
    node = seeded.node
    chain = Chain(node)
    short = {dseq for dseq in range(1, LEASES + 1) if dseq % 97 == 0}
    dry_height = node.height + 1 + SEED_BLOCKS + QUIET_BLOCKS

    def deposit(ctx: Context, dseq: int) -> int:
        if dseq in short:
            return SEED_PRICE * (dry_height - ctx.height - 1)
        return SEED_PRICE * 1_000

    try:
        for first in range(1, LEASES + 1, PER_BLOCK):
            seeded.seed(range(first, first + PER_BLOCK), deposit)
            node.block()
        assert len(seeded.leases) == LEASES
        while node.height < dry_height - 1:
            quiet = node.block()
            assert not events_in([quiet], "lease_closed")
        results = [node.block()]
        assert node.height == dry_height
        closed = events_in(results, "lease_closed")
        assert sorted(int(event["dseq"]) for event in closed) == sorted(short)
        assert {event["reason"] for event in closed} == {"insufficient_funds"}
        assert seeded.active_dseqs() == set(range(1, LEASES + 1)) - short
        seeded.assert_invariants(MarketModule, EscrowModule)
        assert chain.balance(TENANT) > 0
    finally:
        node.close()
