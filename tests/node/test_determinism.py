"""Nodes whose Python hash seeds (PYTHONHASHSEED) differ agree on every app hash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from replay import header_app_hashes

from chain.coins import Coins
from chain.keyring import Keyring
from chain.pb.cosmos.bank.v1beta1 import bank_pb2, tx_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.testing import LocalNode
from chain.tx import build_and_sign

REPLAY_SCRIPT = """
import json, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from chain.rpc import CometRpc
from replay import replay_chain
hashes = replay_chain(CometRpc({rpc!r}), Path({genesis!r}), Path({home!r}), {height})
print(json.dumps({{str(h): v.hex() for h, v in hashes.items()}}))
"""


def _replay_in_subprocess(
    node: LocalNode, home: Path, height: int, hash_seed: str
) -> dict[int, bytes]:
    script = REPLAY_SCRIPT.format(
        tests=str(Path(__file__).parent),
        rpc=node.rpc_address,
        genesis=str(node.home / "config" / "genesis.json"),
        home=str(home),
        height=height,
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        check=True,
    )
    return {int(h): bytes.fromhex(v) for h, v in json.loads(result.stdout).items()}


def test_nodes_with_different_hash_seeds_agree_on_every_app_hash(
    tmp_path: Path, local_node: LocalNode
) -> None:
    node = local_node
    names = [f"user{i}" for i in range(6)]
    node.init({name: "1000000ugpc,1000uatom,1000ustake" for name in names})
    node.start(env={"PYTHONHASHSEED": "1"})
    keyring = Keyring(node.home, "test")
    keys = [keyring.private_key(name) for name in names]
    # every user pays every other in several denoms within one block: many keys touched at once
    for key in keys:
        message = tx_pb2.MsgMultiSend(
            inputs=[
                bank_pb2.Input(
                    address=key.bech32_address,
                    coins=[
                        coin_pb2.Coin(denom=d, amount=str(5 * (len(keys) - 1)))
                        for d in ("uatom", "ugpc", "ustake")
                    ],
                )
            ],
            outputs=[
                bank_pb2.Output(
                    address=other.bech32_address,
                    coins=[coin_pb2.Coin(denom=d, amount="5") for d in ("uatom", "ugpc", "ustake")],
                )
                for other in keys
                if other is not key
            ],
        )
        raw = build_and_sign(
            key,
            [message],
            chain_id=node.chain_id,
            account_number=node.account(key.bech32_address)[0],
            sequence=0,
            fee=Coins.parse("500ugpc"),
            gas_limit=500_000,
        )
        assert node.rpc.broadcast_tx_sync(raw)["code"] == 0
    node.wait_for_height(node.last_height() + 3)
    height = node.last_height() - 1
    recorded = header_app_hashes(node.rpc, height)
    txs = sum(len(node.rpc.block(h)["block"]["data"]["txs"] or []) for h in range(1, height + 1))
    assert txs == len(keys)
    try:
        first = _replay_in_subprocess(node, tmp_path / "seed2", height, "2")
        second = _replay_in_subprocess(node, tmp_path / "seed3", height, "12345")
    finally:
        node.stop()
    assert first == second, "replays with different hash seeds disagree"
    assert first == recorded, "the replay disagrees with the real chain"
