"""Stateful property test: any sequence of deployments, bids, picks, withdrawals, top-ups,
lease, bid, group and deployment closes and block advances keeps the market and escrow
invariants (checked by the node after every block: token conservation in escrow, at most
one active lease per order, no lease without its won bid and active order, bid deposits
held exactly), never leaves a closed deployment's escrow holding tokens, and never lets a
provider or the tenant go negative."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from budget import examples
from chain_fixtures import Chain
from google.protobuf.message import Message
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from market_helpers import (
    FEE,
    GAS,
    PROVIDERS,
    TENANT,
    bid_id,
    bid_msg,
    gpu_group,
    lease_id,
    market_chain,
    ugpc,
)

from chain.crypto import PrivateKey
from chain.pb.gpuchain.market.v1 import market_pb2
from x.deployment import msgs as deployment_msgs
from x.escrow.module import EscrowModule
from x.market import msgs

DSEQS = st.integers(1, 4)
KEYS = st.sampled_from(PROVIDERS)


class MarketMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp())
        self.chain: Chain = market_chain(self.directory / "node", bid_window=2)

    def _submit(self, signer: PrivateKey, message: Message) -> None:
        # Refusals (no such order, window over, closed twice) are legitimate outcomes; the
        # node checks every invariant after each block.
        raw = self.chain.node.sign(signer, [message], gas=GAS, fee=f"{FEE}ugpc")
        self.chain.node.block([raw])

    @rule(dseq=DSEQS, deposit=st.integers(5_000_000, 6_000_000))
    def deploy(self, dseq: int, deposit: int) -> None:
        specs = [gpu_group(price="100000")]
        message = deployment_msgs.create_msg(
            TENANT.bech32_address, dseq, specs, bytes(32), ugpc(deposit)
        )
        self._submit(TENANT, message)

    @rule(key=KEYS, dseq=DSEQS, oseq=st.integers(1, 2), price=st.integers(1, 100_000))
    def bid(self, key: PrivateKey, dseq: int, oseq: int, price: int) -> None:
        self._submit(key, bid_msg(key, price, dseq, oseq=oseq))

    @rule(key=KEYS, dseq=DSEQS)
    def pick(self, key: PrivateKey, dseq: int) -> None:
        self._submit(TENANT, msgs.create_lease_msg(bid_id(key, dseq)))

    @rule(key=KEYS, dseq=DSEQS, oseq=st.integers(1, 2))
    def withdraw(self, key: PrivateKey, dseq: int, oseq: int) -> None:
        self._submit(key, msgs.withdraw_lease_msg(lease_id(key, dseq, oseq=oseq)))

    @rule(key=KEYS, dseq=DSEQS, by_owner=st.booleans())
    def close_lease(self, key: PrivateKey, dseq: int, by_owner: bool) -> None:
        reason = (
            market_pb2.LEASE_CLOSED_REASON_OWNER
            if by_owner
            else market_pb2.LEASE_CLOSED_REASON_PROVIDER
        )
        self._submit(TENANT if by_owner else key, msgs.close_lease_msg(lease_id(key, dseq), reason))

    @rule(key=KEYS, dseq=DSEQS)
    def close_bid(self, key: PrivateKey, dseq: int) -> None:
        self._submit(key, msgs.close_bid_msg(bid_id(key, dseq)))

    @rule(dseq=DSEQS, amount=st.integers(1, 2_000_000))
    def top_up(self, dseq: int, amount: int) -> None:
        owner = TENANT.bech32_address
        self._submit(TENANT, deployment_msgs.deposit_msg(owner, dseq, ugpc(amount), owner))

    @rule(dseq=DSEQS, action=st.sampled_from(["pause", "start", "close"]))
    def group(self, dseq: int, action: str) -> None:
        self._submit(TENANT, deployment_msgs.group_msg(action, TENANT.bech32_address, dseq, 1))

    @rule(dseq=DSEQS)
    def close_deployment(self, dseq: int) -> None:
        self._submit(TENANT, deployment_msgs.close_msg(TENANT.bech32_address, dseq))

    @rule(count=st.integers(1, 30))
    def advance(self, count: int) -> None:
        for _ in range(count):
            self.chain.node.block()

    @invariant()
    def closed_escrow_holds_nothing(self) -> None:
        reader, _, _ = self.chain.node.app.store.query_view()
        keeper = self.chain.node.modules.get(EscrowModule).keeper
        for account in keeper.accounts(reader):
            if not account.is_open:
                assert (account.balance, account.accrued, account.rate) == (0, 0, 0)

    @invariant()
    def nobody_is_negative(self) -> None:
        for key in (TENANT, *PROVIDERS):
            assert self.chain.balance(key) >= 0

    def teardown(self) -> None:
        self.chain.node.close()
        shutil.rmtree(self.directory, ignore_errors=True)


MarketMachine.TestCase.settings = settings(max_examples=examples(10), stateful_step_count=25)
TestMarketAccounting = MarketMachine.TestCase
