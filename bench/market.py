"""The marketplace's costs, in process (prints figures; docs/benchmarks.md records them).

Run: .venv/bin/python bench/market.py [--leases 100,10000,100000] [--blocks 20] [--json]

1. FinalizeBlock of an empty block with N active leases in state (seeded through the
   keepers, x/market/seed.py, a few hundred a block): the end-block reads only the orders
   whose window ends and the accounts that run dry in that block, so the time should not
   grow with N. Median and p90 over --blocks blocks.
2. Matching: one order with `order_max_bids` open bids (equal reputation), the end-of-window
   pick, its lease and the lost bids' refunds, timed on a throwaway layer of state.
3. Each market message in its own block: the gas it used and the FinalizeBlock time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from google.protobuf.message import Message  # noqa: E402

from chain.app import AppConfig  # noqa: E402
from chain.coins import Coin  # noqa: E402
from chain.context import Context, ExecMode, infinite_gas  # noqa: E402
from chain.crypto import PrivateKey  # noqa: E402
from chain.pb.gpuchain.market.v1 import market_pb2, usage_pb2  # noqa: E402
from chain.pb.tendermint.abci import types_pb2 as abci  # noqa: E402
from chain.store import Overlay  # noqa: E402
from chain.testing import InBlock, TestNode, genesis_state  # noqa: E402
from x.deployment import msgs as deployment_msgs  # noqa: E402
from x.deployment.module import DeploymentModule  # noqa: E402
from x.market import msgs  # noqa: E402
from x.market.module import MarketModule  # noqa: E402
from x.market.seed import gpu_group, seed_leases  # noqa: E402
from x.market.types import OrderRef  # noqa: E402
from x.market.usage_msgs import report_usage_msg  # noqa: E402
from x.provider.msgs import create_provider_msg  # noqa: E402

TENANT = PrivateKey(bytes(range(32)))
PROVIDERS = [PrivateKey(bytes([7, seed]) + bytes(30)) for seed in range(40)]
PER_BLOCK = 250
PRICE = 10
GAS = 2_000_000


def new_node(home: Path, seeder: InBlock | None = None) -> TestNode:
    balances = {TENANT.bech32_address: str(10**15) + "ugpc"}
    for key in PROVIDERS:
        balances[key.bech32_address] = "100000000000ugpc"
    state = genesis_state(balances)
    # Nobody reports usage here: a report interval longer than the run keeps every seeded
    # lease active, so the timed blocks are empty ones, not provider faults.
    state["market"] = {
        "params": {
            "order_max_bids": len(PROVIDERS) // 2,
            "bid_window_blocks": 5,
            "report_interval_blocks": 1_000_000,
        }
    }
    node = TestNode(home, config=AppConfig(), extra_modules=[seeder] if seeder else [])
    node.init_chain(state)
    node.block()
    return node


def timed_finalize(node: TestNode) -> list[float]:
    """Wrap the app's finalize_block so every call's seconds are recorded."""
    durations: list[float] = []
    original = node.app.finalize_block

    def finalize(request: abci.RequestFinalizeBlock) -> abci.ResponseFinalizeBlock:
        start = time.perf_counter()
        response = original(request)
        durations.append(time.perf_counter() - start)
        return response

    node.app.finalize_block = finalize  # type: ignore[method-assign]
    return durations


def empty_blocks(leases: int, blocks: int, home: Path) -> dict[str, Any]:
    seeder = InBlock()
    node = new_node(home, seeder)
    try:
        market = node.modules.get(MarketModule).keeper
        deployments = node.modules.get(DeploymentModule).keeper
        providers = [key.address for key in PROVIDERS]
        spec = gpu_group(price=str(PRICE), attributes=())
        seeding = time.perf_counter()
        for first in range(1, leases + 1, PER_BLOCK):
            dseqs = range(first, min(first + PER_BLOCK, leases + 1))

            def seed(ctx: Context, dseqs: range = dseqs) -> None:
                seed_leases(
                    ctx, market, deployments, TENANT.address, providers, spec, dseqs,
                    PRICE, lambda _: PRICE * 1_000_000,
                )  # fmt: skip

            seeder.queued.append(seed)
            node.block()
        seeded = time.perf_counter() - seeding
        durations = timed_finalize(node)
        for _ in range(blocks):
            node.block()
        ordered = sorted(durations)
        return {
            "active_leases": leases,
            "seed_seconds": round(seeded, 1),
            "finalize_block_ms_median": round(statistics.median(ordered) * 1000, 3),
            "finalize_block_ms_p90": round(ordered[int(len(ordered) * 0.9) - 1] * 1000, 3),
        }
    finally:
        node.close()


def deliver(node: TestNode, key: PrivateKey, message: Message) -> abci.ExecTxResult:
    raw = node.sign(key, [message], gas=GAS, fee="2000ugpc")
    result: abci.ExecTxResult = node.block([raw]).tx_results[0]
    assert result.code == 0, result.log
    return result


def matching(home: Path, repeat: int) -> dict[str, Any]:
    """An order with order_max_bids bids at one price: matched on a fresh layer each time."""
    node = new_node(home)
    try:
        market = node.modules.get(MarketModule).keeper
        reader, _, _ = node.app.store.query_view()
        bidders = PROVIDERS[: market.params(reader).order_max_bids]
        for key in bidders:
            deliver(node, key, provider_msg(key))
        deliver(node, TENANT, deploy_msg(1))
        raws = [
            node.sign(key, [bid_msg(key, 1, price=5)], gas=GAS, fee="2000ugpc") for key in bidders
        ]
        assert all(tx.code == 0 for tx in node.block(raws).tx_results)
        ref = OrderRef(TENANT.address, 1, 1, 1)
        seconds = []
        for _ in range(repeat):
            layer = Overlay(node.app.store.committed())
            ctx = Context(
                layer, node.chain_id, node.height + 1, 0, ExecMode.FINALIZE, infinite_gas()
            )
            found = market.order(layer, ref)
            assert found is not None
            start = time.perf_counter()
            market.match_order(ctx, ref, found)
            seconds.append(time.perf_counter() - start)
        return {
            "bids": len(bidders),
            "match_ms_median": round(statistics.median(seconds) * 1000, 3),
        }
    finally:
        node.close()


def provider_msg(key: PrivateKey) -> Message:
    return create_provider_msg(
        key.bech32_address, "https://gpu.example.com:8443", (("region", "eu"),),
        Coin("ugpc", 1_000_000), "ops@example.com", "https://example.com", "",
    )  # fmt: skip


def deploy_msg(dseq: int) -> Message:
    return deployment_msgs.create_msg(
        TENANT.bech32_address, dseq, [gpu_group(attributes=())], bytes(32), Coin("ugpc", 50_000_000)
    )


def bid_msg(key: PrivateKey, dseq: int, price: int = 5000) -> Message:
    return msgs.create_bid_msg(
        msgs.order_id(TENANT.bech32_address, dseq, 1, 1),
        key.bech32_address,
        Coin("ugpc", price),
        Coin("ugpc", 500_000),
    )


def messages(home: Path) -> list[dict[str, Any]]:
    """Each market message once, in its own block: gas used and FinalizeBlock time."""
    node = new_node(home)
    try:
        p1, p2 = PROVIDERS[:2]
        for key in (p1, p2):
            deliver(node, key, provider_msg(key))
        for dseq in (1, 2):
            deliver(node, TENANT, deploy_msg(dseq))
        durations = timed_finalize(node)
        lease1 = msgs.lease_id(TENANT.bech32_address, 1, 1, 1, p1.bech32_address)
        reported = node.height + 4  # the lease starts 3 blocks on; its report is the 4th
        gpus = [
            usage_pb2.GpuUsage(
                uuid=f"GPU-{index:08x}-0000-4000-8000-000000000000",
                model="NVIDIA H100 80GB HBM3",
                avg_utilization_bps=9000,
                peak_memory_bytes=80 << 30,
                energy_millijoules=700_000_000,
            )
            for index in range(8)
        ]
        steps: list[tuple[str, PrivateKey, Message]] = [
            ("MsgCreateBid", p1, bid_msg(p1, 1)),
            ("MsgCreateBid (second)", p2, bid_msg(p2, 1, 6000)),
            ("MsgCreateLease", TENANT, msgs.create_lease_msg(msgs.bid_id(
                TENANT.bech32_address, 1, 1, 1, p1.bech32_address))),
            ("MsgReportUsage (8 GPUs)", p1, report_usage_msg(lease1, reported, reported, gpus)),
            ("MsgWithdrawLease", p1, msgs.withdraw_lease_msg(lease1)),
            ("MsgCloseLease", TENANT, msgs.close_lease_msg(
                lease1, market_pb2.LEASE_CLOSED_REASON_OWNER)),
            ("MsgCreateBid (dseq 2)", p2, bid_msg(p2, 2)),
            ("MsgCloseBid", p2, msgs.close_bid_msg(msgs.bid_id(
                TENANT.bech32_address, 2, 1, 1, p2.bech32_address))),
        ]  # fmt: skip
        figures = []
        for name, key, message in steps:
            result = deliver(node, key, message)
            figures.append(
                {
                    "message": name,
                    "gas_used": result.gas_used,
                    "finalize_block_ms": round(durations[-1] * 1000, 3),
                }
            )
        return figures
    finally:
        node.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", default="100,10000,100000", help="comma-separated counts")
    parser.add_argument("--blocks", type=int, default=20, help="empty blocks timed per count")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        report: dict[str, Any] = {
            "empty_blocks": [
                empty_blocks(int(count), args.blocks, base / f"leases-{count}")
                for count in args.leases.split(",")
            ],
            "matching": matching(base / "matching", 20),
            "messages": messages(base / "messages"),
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print("FinalizeBlock of an empty block:")
    for row in report["empty_blocks"]:
        print(
            f"  {row['active_leases']:>7} active leases: median {row['finalize_block_ms_median']}"
            f" ms, p90 {row['finalize_block_ms_p90']} ms (seeded in {row['seed_seconds']} s)"
        )
    match = report["matching"]
    print(f"Matching an order with {match['bids']} bids: median {match['match_ms_median']} ms")
    print("Market messages (one per block):")
    for row in report["messages"]:
        print(
            f"  {row['message']:<24} gas {row['gas_used']:>7}  "
            f"FinalizeBlock {row['finalize_block_ms']} ms"
        )


if __name__ == "__main__":
    main()
