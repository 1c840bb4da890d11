"""Stateful property test: any sequence of delegations, undelegations, redelegations, slashes
and blocks keeps the bonded pool equal to the bonded validators' tokens, never leaves a
negative share or balance, and keeps the total supply equal to the sum of balances."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from budget import examples
from chain_fixtures import ALICE, BOB, CAROL
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from staking_helpers import (
    consensus_address,
    consensus_key,
    create_validator,
    delegate,
    redelegate,
    undelegate,
)

from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import TestNode, genesis_state
from x.staking.keeper import BONDED_POOL, NOT_BONDED_POOL
from x.staking.types import BondStatus

KEYS = [ALICE, BOB, CAROL]
VALIDATORS = [ALICE, BOB]
POWER = 1_000_000


class StakingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp())
        self.node = TestNode(self.directory / "node")
        state = genesis_state({k.bech32_address: "100000000000ugpc" for k in KEYS})
        state["staking"]["params"]["unbonding_blocks"] = "3"
        self.node.init_chain(state)
        self.node.block()
        for seed, key in enumerate(VALIDATORS, start=1):
            tx = self.node.sign(
                key,
                [create_validator(key, consensus_key(seed), 10 * POWER)],
                gas=400_000,
                fee="4000ugpc",
            )
            assert self.node.block([tx]).tx_results[0].code == 0

    def _submit(self, signer: object, message: object) -> None:
        # Refusals (insufficient shares, too many entries) are legitimate outcomes here;
        # what must hold is the accounting, checked by the invariants after every block.
        self.node.block([self.node.sign(signer, [message], gas=400_000, fee="4000ugpc")])  # type: ignore[arg-type, list-item]

    @rule(
        who=st.sampled_from(KEYS), to=st.sampled_from(VALIDATORS), amount=st.integers(1, 30 * POWER)
    )
    def bond(self, who: object, to: object, amount: int) -> None:
        self._submit(who, delegate(who, to, amount))  # type: ignore[arg-type]

    @rule(
        who=st.sampled_from(KEYS), at=st.sampled_from(VALIDATORS), amount=st.integers(1, 30 * POWER)
    )
    def unbond(self, who: object, at: object, amount: int) -> None:
        self._submit(who, undelegate(who, at, amount))  # type: ignore[arg-type]

    @rule(
        who=st.sampled_from(KEYS),
        source=st.sampled_from(VALIDATORS),
        amount=st.integers(1, 30 * POWER),
    )
    def move(self, who: object, source: object, amount: int) -> None:
        destination = BOB if source is ALICE else ALICE
        self._submit(who, redelegate(who, source, destination, amount))  # type: ignore[arg-type]

    @rule(seed=st.sampled_from([1, 2]), blocks_ago=st.integers(0, 3))
    def double_sign(self, seed: int, blocks_ago: int) -> None:
        key = consensus_key(seed)
        evidence = abci.Misbehavior(
            type=abci.DUPLICATE_VOTE,
            validator=abci.Validator(address=consensus_address(key), power=10),
            height=max(1, self.node.height - blocks_ago),
            total_voting_power=20,
        )
        self.node.block(misbehavior=[evidence])

    @rule(count=st.integers(1, 4))
    def wait(self, count: int) -> None:
        for _ in range(count):
            self.node.block()

    @invariant()
    def pools_match_validators(self) -> None:
        reader = self.node.app.store.query_view()[0]
        modules = {m.name: m for m in self.node.app.modules}
        staking = modules["staking"].keeper  # type: ignore[attr-defined]
        bank = modules["bank"].keeper  # type: ignore[attr-defined]
        validators = staking.validators(reader)
        bonded = sum(v.tokens for v in validators if v.status == BondStatus.BONDED)
        assert bank.balance(reader, BONDED_POOL, "ugpc") == bonded
        unbonding = sum(e.balance for e in staking.unbonding_entries(reader))
        unbonded = sum(v.tokens for v in validators if v.status != BondStatus.BONDED)
        assert bank.balance(reader, NOT_BONDED_POOL, "ugpc") == unbonding + unbonded
        assert all(v.tokens >= 0 and v.shares >= 0 for v in validators)
        assert all(shares > 0 for _, _, shares in staking.all_delegations(reader))
        balances = bank.all_balances(reader)
        assert all(coin.amount > 0 for _, coin in balances)
        assert sum(c.amount for _, c in balances if c.denom == "ugpc") == bank.supply_of(
            reader, "ugpc"
        )

    def teardown(self) -> None:
        self.node.close()
        shutil.rmtree(self.directory, ignore_errors=True)


StakingMachine.TestCase.settings = settings(max_examples=examples(15), stateful_step_count=12)
TestStakingAccounting = StakingMachine.TestCase
