"""A funded in-process chain with a short unbonding period, for provider and audit tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chain_fixtures import ALICE, BOB, CAROL, Chain
from google.protobuf.message import Message

from chain.coins import Coin
from chain.crypto import PrivateKey
from chain.module import Module
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import TestNode, genesis_state
from x.provider.msgs import create_provider_msg

UNBONDING_BLOCKS = 3
COLLATERAL = Coin("ugpc", 1_000_000)
FINGERPRINT = "ab" * 32


def provider_genesis() -> dict[str, Any]:
    state = genesis_state(
        {
            ALICE.bech32_address: "1000000000ugpc,500uatom",
            BOB.bech32_address: "1000000ugpc",
            CAROL.bech32_address: "50000000ugpc",
        }
    )
    state["staking"]["params"]["unbonding_blocks"] = str(UNBONDING_BLOCKS)
    return state


def provider_chain(home: Path, extra_modules: Sequence[Module] = ()) -> Chain:
    node = TestNode(home, extra_modules=extra_modules)
    node.init_chain(provider_genesis())
    node.block()
    return Chain(node)


def deliver(chain: Chain, key: PrivateKey, *messages: Message) -> abci.ExecTxResult:
    """Sign messages as key and run them in the next block; the tx's result."""
    result: abci.ExecTxResult = chain.node.block(
        [chain.node.sign(key, list(messages), gas=400_000, fee="4000ugpc")]
    ).tx_results[0]
    return result


def create(
    key: PrivateKey,
    host: str = "https://gpu.example.com:8443",
    attributes: tuple[tuple[str, str], ...] = (("region", "us-west"), ("gpu", "h100")),
    collateral: Coin = COLLATERAL,
    fingerprint: str = FINGERPRINT,
) -> Message:
    return create_provider_msg(
        key.bech32_address,
        host,
        attributes,
        collateral,
        "ops@example.com",
        "https://example.com",
        fingerprint,
    )


def events_of(
    result: abci.ExecTxResult | abci.ResponseFinalizeBlock, kind: str
) -> list[dict[str, str]]:
    return [
        {attribute.key: attribute.value for attribute in event.attributes}
        for event in result.events
        if event.type == kind
    ]
