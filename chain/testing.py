"""An in-process node for tests: the real Application and LevelDB, driven by a mock consensus.

It calls the ABCI methods in the order CometBFT does (InitChain, then per block
PrepareProposal → ProcessProposal → FinalizeBlock → Commit), so state-machine tests run
in milliseconds; tests that need real consensus start real CometBFT processes instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from chain.app import AppConfig, Application
from chain.coins import Coins
from chain.crypto import PrivateKey
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.tx import build_and_sign
from chain.wiring import build_app, default_app_state

GENESIS_TIME_SECONDS = 1_700_000_000
BLOCK_SECONDS = 1


def genesis_state(balances: dict[str, str]) -> dict[str, Any]:
    """A default app_state with the given bech32 address → "1000ugpc" balances."""
    state = default_app_state()
    state["bank"] = {
        "balances": [
            {"address": address, "coins": Coins.parse(amount).to_json()}
            for address, amount in sorted(balances.items())
        ],
        "supply": [],
    }
    return state


@dataclass
class TestNode:
    """A single-validator chain in one process."""

    home: Path
    chain_id: str = "gpuchain-test"
    config: AppConfig = field(default_factory=lambda: AppConfig(invariant_check_period=1))
    app: Application = field(init=False)
    height: int = 0
    app_hashes: dict[int, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.app = build_app(self.home, self.config)
        self.height = self.app.store.last.height

    def init_chain(self, app_state: dict[str, Any]) -> bytes:
        response = self.app.init_chain(
            abci.RequestInitChain(
                time=timestamp_pb2.Timestamp(seconds=GENESIS_TIME_SECONDS),
                chain_id=self.chain_id,
                app_state_bytes=json.dumps(app_state).encode(),
                initial_height=1,
            )
        )
        return bytes(response.app_hash)

    def check(self, raw: bytes) -> abci.ResponseCheckTx:
        return self.app.check_tx(abci.RequestCheckTx(tx=raw, type=abci.NEW))

    def block(self, txs: Sequence[bytes] = ()) -> abci.ResponseFinalizeBlock:
        """Propose, accept, execute and commit one block holding txs."""
        height = self.height + 1
        stamp = timestamp_pb2.Timestamp(seconds=GENESIS_TIME_SECONDS + height * BLOCK_SECONDS)
        proposal = self.app.prepare_proposal(
            abci.RequestPrepareProposal(
                max_tx_bytes=22_020_096, txs=list(txs), height=height, time=stamp
            )
        )
        verdict = self.app.process_proposal(
            abci.RequestProcessProposal(txs=proposal.txs, height=height, time=stamp)
        )
        assert verdict.status == abci.ResponseProcessProposal.ACCEPT
        result = self.app.finalize_block(
            abci.RequestFinalizeBlock(txs=list(txs), height=height, time=stamp)
        )
        self.app.commit()
        self.height = height
        self.app_hashes[height] = bytes(result.app_hash)
        return result

    def account(self, key: PrivateKey) -> tuple[int, int]:
        """(account number, sequence) of key's account in committed state."""
        reader, _, _ = self.app.store.query_view()
        account = self.app.ante._accounts.account(reader, key.address)  # type: ignore[attr-defined]
        assert account is not None, f"no account for {key.bech32_address}"
        return account.account_number, account.sequence

    def sign(
        self,
        key: PrivateKey,
        messages: Sequence[Message],
        *,
        fee: str = "2000ugpc",
        gas: int = 200_000,
        sequence: int | None = None,
        account_number: int | None = None,
        chain_id: str | None = None,
        memo: str = "",
    ) -> bytes:
        number, current = self.account(key)
        return build_and_sign(
            key,
            messages,
            chain_id=self.chain_id if chain_id is None else chain_id,
            account_number=number if account_number is None else account_number,
            sequence=current if sequence is None else sequence,
            fee=Coins.parse(fee),
            gas_limit=gas,
            memo=memo,
        )

    def close(self) -> None:
        self.app.store.close()
