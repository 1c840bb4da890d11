"""Shared pieces of state-machine tests: fixed keys and a funded in-process chain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain.crypto import PrivateKey
from chain.pb.cosmos.bank.v1beta1 import tx_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.testing import TestNode, genesis_state
from x.bank.module import BankModule

# Fixed seeds: failures reproduce with the same addresses every run.
ALICE = PrivateKey(bytes(range(32)))
BOB = PrivateKey(bytes(range(1, 33)))
CAROL = PrivateKey(bytes(range(2, 34)))


@dataclass
class Chain:
    node: TestNode

    def balance(self, key: PrivateKey | bytes, denom: str = "ugpc") -> int:
        address = key.address if isinstance(key, PrivateKey) else key
        reader, _, _ = self.node.app.store.query_view()
        amount: int = self.node.modules.get(BankModule).keeper.balance(reader, address, denom)
        return amount

    def state_hash(self) -> bytes:
        return self.node.app.store.last.app_hash


def send(sender: PrivateKey, recipient: str, amount: str, denom: str = "ugpc") -> tx_pb2.MsgSend:
    return tx_pb2.MsgSend(
        from_address=sender.bech32_address,
        to_address=recipient,
        amount=[coin_pb2.Coin(denom=denom, amount=amount)],
    )


def funded_chain(home: Path) -> Chain:
    node = TestNode(home)
    node.init_chain(
        genesis_state(
            {ALICE.bech32_address: "1000000000ugpc,500uatom", BOB.bech32_address: "1000000ugpc"}
        )
    )
    node.block()
    return Chain(node)


def assert_reimports_identically(node: TestNode, home: Path) -> dict[str, Any]:
    """Export node's state, import it into a new chain at home and check that one exports
    exactly the same; returns the export."""
    exported = node.app.export_genesis()
    copy = TestNode(home)
    try:
        copy.init_chain(exported)
        copy.block()
        assert copy.app.export_genesis() == exported
    finally:
        copy.close()
    return exported
