"""A block never asks for more gas than consensus param block.max_gas: the proposer stops
short of it and a proposal past it is rejected."""

from __future__ import annotations

from pathlib import Path

from chain_fixtures import ALICE, BOB, send

from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import TestNode, genesis_state

TX_GAS = 300_000
MAX_GAS = 1_000_000  # three txs fit, the fourth does not


def _node(home: Path) -> TestNode:
    node = TestNode(home)
    node.init_chain(genesis_state({ALICE.bech32_address: "1000000000ugpc"}), max_gas=MAX_GAS)
    node.block()
    return node


def _txs(node: TestNode, count: int) -> list[bytes]:
    _, sequence = node.account(ALICE)
    return [
        node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], gas=TX_GAS, sequence=sequence + i)
        for i in range(count)
    ]


def test_the_proposer_stops_at_the_block_gas_limit(tmp_path: Path) -> None:
    node = _node(tmp_path)
    txs = _txs(node, 5)
    prepared = node.app.prepare_proposal(
        abci.RequestPrepareProposal(max_tx_bytes=22_020_096, txs=txs, height=node.height + 1)
    )
    assert list(prepared.txs) == txs[:3]
    node.close()


def test_a_proposal_over_the_block_gas_limit_is_rejected(tmp_path: Path) -> None:
    node = _node(tmp_path)
    txs = _txs(node, 4)
    height = node.height + 1
    within = node.app.process_proposal(abci.RequestProcessProposal(txs=txs[:3], height=height))
    over = node.app.process_proposal(abci.RequestProcessProposal(txs=txs, height=height))
    assert within.status == abci.ResponseProcessProposal.ACCEPT
    assert over.status == abci.ResponseProcessProposal.REJECT
    node.close()
