"""Replays a real chain's blocks into a fresh in-process node to compare app hashes."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

from chain.rpc import CometRpc
from chain.testing import TestNode


def rfc3339_to_ns(text: str) -> int:
    """CometBFT block times have nanoseconds; datetime keeps microseconds, so split them off."""
    main, _, rest = text.rstrip("Z").partition(".")
    digits = "".join(ch for ch in rest if ch.isdigit())
    seconds = int(datetime.fromisoformat(main + "+00:00").timestamp())
    return seconds * 1_000_000_000 + int(digits.ljust(9, "0")[:9] or "0")


def replay_chain(rpc: CometRpc, genesis_path: Path, home: Path, up_to: int) -> dict[int, bytes]:
    """Execute blocks 1..up_to from rpc in a new node; returns height → app hash after it."""
    genesis = json.loads(genesis_path.read_text())
    node = TestNode(home, chain_id=genesis["chain_id"])
    try:
        node.init_chain(genesis["app_state"], time_ns=rfc3339_to_ns(genesis["genesis_time"]))
        for height in range(1, up_to + 1):
            block = rpc.block(height)["block"]
            txs = [base64.b64decode(tx) for tx in block["data"]["txs"] or []]
            node.block(txs, time_ns=rfc3339_to_ns(block["header"]["time"]))
        return dict(node.app_hashes)
    finally:
        node.close()


def header_app_hashes(rpc: CometRpc, up_to: int) -> dict[int, bytes]:
    """height H → the app hash after executing H, as the header of H+1 records it."""
    return {
        height: bytes.fromhex(rpc.block(height + 1)["block"]["header"]["app_hash"])
        for height in range(1, up_to + 1)
    }
