"""Shared by the provider daemon's tests: a real node with the daemon's keys, and waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import Message

from chain.coins import Coin, Coins
from chain.crypto import PrivateKey
from chain.keyring import Keyring
from chain.testing import LocalNode
from chain.tx import build_and_sign

FUNDED = {
    "provider": "1000000000ugpc",  # bids, reports and withdraws
    "tenant": "1000000000ugpc",  # deploys
    "auditor": "10000000ugpc",  # signs provider attributes
    "bystander": "10000000ugpc",  # sends with the provider's key behind the daemon's back
}


@dataclass
class Chain:
    node: LocalNode
    addresses: dict[str, str]

    def key(self, name: str) -> PrivateKey:
        return Keyring(self.node.home, "test").private_key(name)


def deliver(chain: Chain, key: str, messages: list[Message], gas: int = 600_000) -> None:
    """messages signed by key here (not by the code under test); they must land and succeed."""
    rpc = chain.node.rpc
    number, sequence = chain.node.account(chain.addresses[key])
    raw = build_and_sign(
        chain.key(key),
        messages,
        chain_id=chain.node.chain_id,
        account_number=number,
        sequence=sequence,
        fee=Coins((Coin("ugpc", gas // 1000),)),
        gas_limit=gas,
    )
    answer = rpc.broadcast_tx_sync(raw)
    assert int(answer.get("code") or 0) == 0, answer
    included = rpc.wait_for_tx(answer["hash"])
    assert int(included["tx_result"].get("code") or 0) == 0, included["tx_result"]


def start_chain(base: Path) -> Chain:
    node = LocalNode(base)
    addresses = node.init(FUNDED)
    node.start()
    return Chain(node, addresses)


def wait_until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Poll condition until it is true; fail naming what was awaited after timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.05)
