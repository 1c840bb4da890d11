"""While a flood of maximal txs arrives through RPC, blocks keep their pace and none asks
for more gas than `block.max_gas`.

How the pace is judged, so the test does not depend on the machine's other load: the
intervals are the differences of the block headers' times (CometBFT's BFT time, not a
clock read by the test) over `WINDOW_BLOCKS` consecutive blocks made during the flood,
and their median must stay within twice the configured block time (`timeout_commit`).
A median ignores one block slowed by a passing stall of the machine; a node whose
blocks grow with its mempool, or whose consensus connection waits behind CheckTx, is
slower on every block and fails. Every wait is on a condition, with a bound.
"""

from __future__ import annotations

import itertools
import re
import statistics
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest

from chain.coins import Coins
from chain.crypto import PrivateKey
from chain.home import BLOCK_MAX_GAS
from chain.keyring import Keyring
from chain.rpc import RpcError
from chain.testing import LocalNode
from chain.tx import build_and_sign
from x.bank.msgs import send_msg

BLOCK_TIME_SECONDS = 1.0
WINDOW_BLOCKS = 8
FLOODERS = 4
MESSAGES_PER_TX = 32  # auth's max_msgs_per_tx
RECIPIENTS = [PrivateKey(bytes([index]) * 32).bech32_address for index in range(MESSAGES_PER_TX)]
_EXPECTED_SEQUENCE = re.compile(r"expected (\d+), got")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    running = LocalNode(tmp_path_factory.mktemp("node") / "home", block_time="1s")
    running.init({f"flooder{index}": "1000000000000ugpc" for index in range(FLOODERS)})
    running.start()
    yield running
    running.stop()


def _maximal_tx(key: PrivateKey, account_number: int, sequence: int) -> bytes:
    sends = [
        send_msg(key.bech32_address, recipient, Coins.single("ugpc", 1)) for recipient in RECIPIENTS
    ]
    return build_and_sign(
        key,
        sends,
        chain_id="gpuchain-test",
        account_number=account_number,
        sequence=sequence,
        fee=Coins.parse("1000ugpc"),
        gas_limit=1_000_000,
    )


def _flood(node: LocalNode, key: PrivateKey, stop: threading.Event) -> None:
    """Send maximal txs back to back until stopped, each at the sequence CheckTx expects."""
    account_number, sequence = node.account(key.bech32_address)
    while not stop.is_set():
        try:
            answer = node.rpc.broadcast_tx_sync(_maximal_tx(key, account_number, sequence))
        except RpcError:
            stop.wait(0.05)  # e.g. the mempool is full: try again shortly
            continue
        if int(answer["code"]) == 0:
            sequence += 1
        elif match := _EXPECTED_SEQUENCE.search(answer.get("log", "")):
            sequence = int(match.group(1))


def _header_time(node: LocalNode, height: int) -> float:
    stamp = node.rpc.block(height)["block"]["header"]["time"]
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    seconds = datetime.fromisoformat(whole + "+00:00").timestamp()
    return seconds + float("0." + (fraction or "0"))


def _block_gas(node: LocalNode, height: int) -> tuple[int, int]:
    """(txs, total gas wanted) of the block at height."""
    results = node.rpc.call("block_results", height=str(height)).get("txs_results") or []
    return len(results), sum(int(result.get("gas_wanted", 0)) for result in results)


def test_blocks_keep_their_pace_and_gas_limit_under_a_flood_of_maximal_txs(
    node: LocalNode,
) -> None:
    keyring = Keyring(node.home, "test")
    keys = [keyring.private_key(f"flooder{index}") for index in range(FLOODERS)]
    stop = threading.Event()
    flooders = [threading.Thread(target=_flood, args=(node, key, stop)) for key in keys]
    for thread in flooders:
        thread.start()
    try:
        first = node.last_height() + 2  # blocks proposed once the flood is under way
        node.wait_for_height(first + WINDOW_BLOCKS, timeout=WINDOW_BLOCKS * 10)
    finally:
        stop.set()
        for thread in flooders:
            thread.join(timeout=30)
    heights = range(first, first + WINDOW_BLOCKS + 1)
    times = [_header_time(node, height) for height in heights]
    intervals = [later - earlier for earlier, later in itertools.pairwise(times)]
    loads = [_block_gas(node, height) for height in heights]
    assert sum(txs for txs, _ in loads) >= WINDOW_BLOCKS, f"the flood never arrived: {loads}"
    assert all(gas <= BLOCK_MAX_GAS for _, gas in loads), loads
    assert statistics.median(intervals) <= 2 * BLOCK_TIME_SECONDS, (intervals, loads)
