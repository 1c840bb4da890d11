"""A node killed with SIGKILL at random moments under load resumes from its last commit, and
every app hash it commits equals that of a node that never crashed fed the same blocks."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from replay import header_app_hashes, replay_chain

from chain.coins import Coins
from chain.keyring import Keyring
from chain.rpc import RpcError
from chain.testing import LocalNode
from chain.tx import build_and_sign
from x.bank.msgs import send_msg

SENDERS = [f"sender{i}" for i in range(4)]


def _stream_sends(node: LocalNode, stop: threading.Event, sent: list[str]) -> None:
    keyring = Keyring(node.home, "test")
    keys = [keyring.private_key(name) for name in SENDERS]
    recipients = [keyring.show(name).address for name in SENDERS]
    rng = random.Random(7)
    while not stop.is_set():
        key = rng.choice(keys)
        try:
            number, sequence = node.account(key.bech32_address)
            message = send_msg(
                key.bech32_address,
                rng.choice(recipients),
                Coins.single("ugpc", rng.randint(1, 1000)),
            )
            raw = build_and_sign(
                key,
                [message],
                chain_id=node.chain_id,
                account_number=number,
                sequence=sequence,
                fee=Coins.parse("200ugpc"),
                gas_limit=200_000,
            )
            if node.rpc.broadcast_tx_sync(raw)["code"] == 0:
                sent.append(message.to_address)
        except (RpcError, ValueError, KeyError):
            pass  # the node is down or restarting: try again shortly
        time.sleep(0.05)


def test_kill_9_under_load_loses_nothing_committed_and_never_diverges(
    tmp_path: Path, local_node: LocalNode
) -> None:
    node = local_node
    node.init({name: "1000000000ugpc" for name in SENDERS})
    node.start()
    stop = threading.Event()
    sent: list[str] = []
    streamer = threading.Thread(target=_stream_sends, args=(node, stop, sent), daemon=True)
    streamer.start()
    rng = random.Random(2026)
    try:
        for _ in range(4):
            time.sleep(rng.uniform(0.3, 2.0))
            height_before = node.last_height()
            node.kill()
            node.start()
            assert node.last_height() >= height_before, "a committed block was lost"
        node.wait_for_height(node.last_height() + 3)
    finally:
        stop.set()
        streamer.join(timeout=10)
    final_height = node.last_height() - 1
    recorded = header_app_hashes(node.rpc, final_height)
    included = sum(
        len(node.rpc.block(height)["block"]["data"]["txs"] or [])
        for height in range(1, final_height + 1)
    )
    node.stop()
    assert included > 10, f"only {included} txs reached blocks; the load barely ran"

    node.start()  # serve blocks for the replay; the app restarts cleanly after a stop too
    try:
        replayed = replay_chain(
            node.rpc, node.home / "config" / "genesis.json", tmp_path / "replay", final_height
        )
    finally:
        node.stop()
    assert replayed == recorded
