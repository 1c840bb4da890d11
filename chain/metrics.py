"""Prometheus metrics of the node: what an operator watches to see it keep up."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()

HEIGHT = Gauge("gpuchain_height", "Last committed block height", registry=REGISTRY)
TXS = Counter(
    "gpuchain_txs_total", "Transactions executed in blocks", ["result"], registry=REGISTRY
)
CHECK_TXS = Counter(
    "gpuchain_check_tx_total", "CheckTx requests (mempool admission)", ["result"], registry=REGISTRY
)
FINALIZE_SECONDS = Histogram(
    "gpuchain_finalize_block_seconds", "Time to execute a block", registry=REGISTRY
)
COMMIT_SECONDS = Histogram("gpuchain_commit_seconds", "Time to persist a block", registry=REGISTRY)

# Children bound once: a label lookup on every CheckTx costs ~1% of the app's time.
CHECK_TX_OK = CHECK_TXS.labels("ok")
CHECK_TX_REJECTED = CHECK_TXS.labels("rejected")
TX_OK = TXS.labels("ok")
TX_FAILED = TXS.labels("failed")
