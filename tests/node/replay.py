"""Replays a real chain's blocks into a fresh in-process node to compare app hashes."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from chain.pb.tendermint.abci import types_pb2 as abci
from chain.rpc import CometRpc
from chain.testing import TestNode, vote


def rfc3339_to_ns(text: str) -> int:
    """CometBFT block times have nanoseconds; datetime keeps microseconds, so split them off."""
    main, _, rest = text.rstrip("Z").partition(".")
    digits = "".join(ch for ch in rest if ch.isdigit())
    seconds = int(datetime.fromisoformat(main + "+00:00").timestamp())
    return seconds * 1_000_000_000 + int(digits.ljust(9, "0")[:9] or "0")


def _last_commit_votes(rpc: CometRpc, block: dict[str, Any]) -> list[abci.VoteInfo]:
    """The decided_last_commit CometBFT gave the app: block H's record of votes for H-1."""
    height = int(block["header"]["height"])
    if height == 1:
        return []
    powers = {
        v["address"]: int(v["voting_power"])
        for v in rpc.call("validators", height=str(height - 1), per_page="100")["validators"]
    }
    return [
        vote(
            bytes.fromhex(s["validator_address"]),
            powers[s["validator_address"]],
            s["block_id_flag"] != 1,
        )
        for s in block["last_commit"]["signatures"]
        if s["validator_address"]
    ]


def replay_chain(rpc: CometRpc, genesis_path: Path, home: Path, up_to: int) -> dict[int, bytes]:
    """Execute blocks 1..up_to from rpc in a new node; returns height → app hash after it."""
    genesis = json.loads(genesis_path.read_text())
    node = TestNode(home, chain_id=genesis["chain_id"])
    try:
        node.init_chain(
            genesis["app_state"],
            time_ns=rfc3339_to_ns(genesis["genesis_time"]),
            max_gas=int(genesis["consensus_params"]["block"]["max_gas"]),
        )
        for height in range(1, up_to + 1):
            block = rpc.block(height)["block"]
            txs = [base64.b64decode(tx) for tx in block["data"]["txs"] or []]
            node.block(
                txs,
                time_ns=rfc3339_to_ns(block["header"]["time"]),
                votes=_last_commit_votes(rpc, block),
                proposer=bytes.fromhex(block["header"]["proposer_address"]),
            )
        return dict(node.app_hashes)
    finally:
        node.close()


def header_app_hashes(rpc: CometRpc, up_to: int) -> dict[int, bytes]:
    """height H → the app hash after executing H, as the header of H+1 records it."""
    return {
        height: bytes.fromhex(rpc.block(height + 1)["block"]["header"]["app_hash"])
        for height in range(1, up_to + 1)
    }
