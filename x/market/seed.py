"""Many active leases at once, through the keepers' own calls (no txs, no signatures): the
state tests and bench/market.py need to show a block's cost does not grow with them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from chain.context import Context
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from x.market.keeper import MarketKeeper
from x.market.types import BidRef, OrderRef

MANIFEST_HASH = bytes(32)


class DeploymentCreator(Protocol):
    def create(
        self,
        ctx: Context,
        owner: bytes,
        dseq: int,
        specs: Sequence[deployment_pb2.GroupSpec],
        manifest_hash: bytes,
        deposit: int,
    ) -> object: ...


def seed_leases(
    ctx: Context,
    market: MarketKeeper,
    deployments: DeploymentCreator,
    owner: bytes,
    providers: Sequence[bytes],
    spec: deployment_pb2.GroupSpec,
    dseqs: range,
    price: int,
    deposit_of: Callable[[int], int],
) -> list[BidRef]:
    """For each dseq: a deployment of owner with spec as its one group and deposit_of(dseq)
    in escrow, one bid at price (deposit 1ugpc) from the next of providers, and its lease.
    Returns the leases in dseq order."""
    leases = []
    for index, dseq in enumerate(dseqs):
        deployments.create(ctx, owner, dseq, [spec], MANIFEST_HASH, deposit_of(dseq))
        ref = OrderRef(owner, dseq, 1, 1).bid(providers[index % len(providers)])
        market.create_bid(ctx, ref, price, 1)
        market.create_lease(ctx, ref)
        leases.append(ref)
    return leases
