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


def gpu_group(
    name: str = "gpu",
    price: str = "10000",
    count: int = 1,
    attributes: Sequence[tuple[str, str]] = (("region", "eu"),),
    all_of: Sequence[str] = (),
    any_of: Sequence[str] = (),
    endpoint_kind: int = 0,
) -> deployment_pb2.GroupSpec:
    """A one-H100 group (16 CPUs, 35 GiB, 50 GiB of storage) at price per block."""
    return deployment_pb2.GroupSpec(
        name=name,
        requirements=deployment_pb2.PlacementRequirements(
            signed_by=deployment_pb2.SignedBy(all_of=list(all_of), any_of=list(any_of)),
            attributes=[deployment_pb2.Attribute(key=k, value=v) for k, v in attributes],
        ),
        resources=[
            deployment_pb2.ResourceUnit(
                resource=deployment_pb2.Resources(
                    id=1,
                    cpu_millis=16_000,
                    memory=35 << 30,
                    storage=[deployment_pb2.Storage(name="default", size=50 << 30)],
                    gpu_units=1,
                    gpu_attributes=[
                        deployment_pb2.Attribute(key="vendor/nvidia/model/h100", value="true")
                    ],
                    endpoints=[deployment_pb2.Endpoint(kind=endpoint_kind)],
                ),
                count=count,
                price=deployment_pb2.DecCoin(denom="ugpc", amount=price),
            )
        ],
    )


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
