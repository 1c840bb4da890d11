"""The provider daemon's speed (prints figures): order event → committed bid on a real node,
and the CPU the bid engine spends per 1,000 open orders scanned.

Run: .venv/bin/python bench/provider_daemon.py [--orders 20] [--scan 1000]

1. A real node (200 ms blocks) and a daemon in this process; the tenant creates `--orders`
   deployments one after another. For each: the time from the deployment's tx being in a
   block (its order_created event) to the provider's bid being committed and queryable.
2. `--scan` open orders (half the daemon bids on, half it skips for a missing attribute)
   decided by the bid engine in one State transaction, as at start-up's re-scan, with the
   audit records at hand: CPU seconds (process time) per 1,000 orders.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "daemon"))

from daemon_helpers import Chain, Running, group, provider_home, start_chain

from chain.coins import Coin, Coins
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.rpc import RpcError
from chain.tx import build_and_sign
from provider.bidengine import BidEngine
from provider.config import load
from provider.inventory import GIB, Inventory
from provider.state import State
from x.deployment.msgs import create_msg

DEPOSIT = Coin("ugpc", 5_000_000)


def bid_latency(orders: int, base: Path) -> list[float]:
    chain = start_chain(base / "node")
    try:
        running = Running(provider_home(chain, base))
        provider = chain.addresses["provider"]
        latencies = []
        tenant = chain.addresses["tenant"]
        for dseq in range(1000, 1000 + orders):
            number, sequence = chain.node.account(tenant)
            raw = build_and_sign(
                chain.key("tenant"),
                [create_msg(tenant, dseq, [group("web", "10")], b"\1" * 32, DEPOSIT)],
                chain_id=chain.node.chain_id,
                account_number=number,
                sequence=sequence,
                fee=Coins((Coin("ugpc", 600),)),
                gas_limit=600_000,
            )
            tx_hash = chain.node.rpc.broadcast_tx_sync(raw)["hash"]
            in_block = poll(
                lambda: found_tx(chain, tx_hash),  # noqa: B023
                f"deployment {dseq} in a block",
            )
            request = market_query_pb2.QueryBidsRequest(provider=provider, dseq=dseq)
            bid_seen = poll(
                lambda: any(
                    bid.bid_id.dseq == dseq  # noqa: B023
                    for bid in chain.node.rpc.query_message(
                        "/gpuchain.market.v1.Query/Bids",
                        request,  # noqa: B023
                        market_query_pb2.QueryBidsResponse(),
                    ).bids
                ),
                f"a bid on deployment {dseq}",
            )
            latencies.append(bid_seen - in_block)
        running.stop()
        return latencies
    finally:
        chain.node.stop()


def poll(condition: Callable[[], bool], what: str) -> float:
    """Poll every 10 ms until condition holds; the monotonic time it first did."""
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} in 30 s")
        time.sleep(0.01)
    return time.monotonic()


def found_tx(chain: Chain, tx_hash: str) -> bool:
    try:
        chain.node.rpc.tx(tx_hash)
    except RpcError:
        return False
    return True


def scan_cpu(count: int, base: Path) -> float:
    """CPU seconds to decide count open orders in one transaction."""
    home = base / "scan"
    home.mkdir()
    (home / "provider.yaml").write_text(
        "key: provider\nnodes: [tcp://127.0.0.1:1]\nchain_id: bench\n"
        "pricing: {cpu_milli: '0.01', memory_gib: '8', storage_gib: '8', gpu: {default: '100'}}\n"
        "attributes: {region: west}\n"
    )
    config = load(home)
    state = State(config.data_dir)
    inventory = Inventory(10**9, 10**6 * GIB, 10**6 * GIB, (), "bench: no GPUs")
    engine = BidEngine(
        state,
        "gpu1provider",
        config.attributes,
        config.pricing,
        inventory,
        lambda: {"gpu1auditor": {"region": "west"}},
        lambda: coin_pb2.Coin(denom="ugpc", amount="500000"),
        lambda: (coin_pb2.Coin(denom="ugpc", amount="1000000"),) * 2,
        "provider",
    )
    specs = [group("fits", "10", {"region": "west"}), group("gold", "10", {"tier": "gold"})]
    orders = [
        market_pb2.Order(
            order_id=market_pb2.OrderID(owner="gpu1tenant", dseq=index, gseq=1, oseq=1),
            state=market_pb2.ORDER_STATE_OPEN,
            spec=specs[index % 2],
        )
        for index in range(count)
    ]
    started = time.process_time()
    with state.transaction():
        for order in orders:
            engine.consider(order, 1)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--scan", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        latencies = bid_latency(args.orders, base)
        cpu = scan_cpu(args.scan, base)
    latencies.sort()
    print(f"order event -> committed bid, {len(latencies)} orders, 200 ms blocks:")
    print(
        f"  median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p90 {latencies[int(len(latencies) * 0.9) - 1] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    print(
        f"bid engine: {cpu * 1000:.0f} ms CPU for {args.scan} open orders "
        f"({cpu * 1000 * 1000 / args.scan:.0f} ms per 1,000)"
    )


if __name__ == "__main__":
    main()
