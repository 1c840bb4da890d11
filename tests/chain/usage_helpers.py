"""A market chain with a short report interval and one active lease, and the calls the
usage tests share (report, read the lease's reports, the provider's reputation)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chain_fixtures import Chain
from market_helpers import (
    PROVIDERS,
    bid_msg,
    blocks_until,
    deploy,
    lease_id,
    market_genesis,
    ok,
    order,
    register_providers,
)

from chain.coins import Coin
from chain.crypto import PrivateKey
from chain.pb.gpuchain.market.v1 import usage_pb2
from chain.pb.gpuchain.provider.v1 import query_pb2 as provider_query_pb2
from chain.testing import TestNode
from x.market.usage_msgs import report_usage_msg
from x.market.usage_queries import USAGE_PATH
from x.provider.queries import REPUTATION_PATH

INTERVAL = 5
PRICE = 1000
H100 = usage_pb2.GpuUsage(
    uuid="GPU-6f1c1d2e-0000-4000-8000-000000000001",
    model="NVIDIA H100 80GB HBM3",
    avg_utilization_bps=8750,
    peak_memory_bytes=61 << 30,
    energy_millijoules=123_456_789,
)


def usage_chain(
    home: Path, interval: int = INTERVAL, bond_denom: str = "ugpc", collateral_denom: str = "ugpc"
) -> Chain:
    """bond_denom: the staking (and so community pool) denom; the market pays in ugpc.
    collateral_denom: what providers lock (each gets 1000000 of it)."""
    state = market_genesis()
    state["market"]["params"]["report_interval_blocks"] = interval
    state["staking"]["params"]["bond_denom"] = bond_denom
    collateral = Coin(collateral_denom, 1_000_000)
    state["provider"]["params"] = {
        "min_provider_collateral": {"denom": collateral_denom, "amount": "1000000"}
    }
    if collateral_denom != "ugpc":
        for entry in state["bank"]["balances"]:
            entry["coins"] = sorted(
                [*entry["coins"], {"denom": collateral_denom, "amount": "1000000"}],
                key=lambda coin: coin["denom"],
            )
    node = TestNode(home)
    node.init_chain(state)
    node.block()
    chain = Chain(node)
    register_providers(chain, collateral=collateral)
    return chain


def lease_at_window_end(
    chain: Chain, provider: PrivateKey = PROVIDERS[0], dseq: int = 1, price: int = PRICE
) -> int:
    """Deploy dseq, have provider bid alone and wait for matching; the lease's height."""
    deploy(chain, dseq)
    ok(chain, provider, bid_msg(provider, price, dseq))
    end = order(chain, dseq).window_end
    blocks_until(chain, end)
    return end


def report(
    provider: PrivateKey,
    start: int,
    end: int,
    gpus: Sequence[usage_pb2.GpuUsage] = (H100,),
    dseq: int = 1,
) -> usage_pb2.MsgReportUsage:
    return report_usage_msg(lease_id(provider, dseq), start, end, gpus)


def usage(
    chain: Chain, provider: PrivateKey = PROVIDERS[0], dseq: int = 1
) -> usage_pb2.QueryUsageResponse:
    lease = lease_id(provider, dseq)
    request = usage_pb2.QueryUsageRequest(
        owner=lease.owner,
        dseq=lease.dseq,
        gseq=lease.gseq,
        oseq=lease.oseq,
        provider=lease.provider,
    )
    return chain.node.query(USAGE_PATH, request, usage_pb2.QueryUsageResponse())


def reputation(chain: Chain, provider: PrivateKey) -> provider_query_pb2.QueryReputationResponse:
    return chain.node.query(
        REPUTATION_PATH,
        provider_query_pb2.QueryReputationRequest(provider=provider.bech32_address),
        provider_query_pb2.QueryReputationResponse(),
    )
