"""Stateful property test: any sequence of delegations, undelegations, redelegations, double
signs, rewarded blocks and validators leaving and re-entering a two-seat set keeps the pools
equal to what validators, unbondings and rewards claim, never leaves a negative share or
balance, and accounts for every token of the supply: balances + bonded + not bonded +
outstanding rewards (commission included) + community pool + fees not yet distributed."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from budget import examples
from chain_fixtures import ALICE, BOB, CAROL
from google.protobuf import timestamp_pb2
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

from chain.crypto import PrivateKey, module_address
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import BLOCK_SECONDS, GENESIS_TIME_SECONDS, TestNode, genesis_state, vote
from x.bank.module import BankModule
from x.distribution.module import DistributionModule
from x.staking.keeper import BONDED_POOL, NOT_BONDED_POOL
from x.staking.module import StakingModule
from x.staking.types import BondStatus

DAVE = PrivateKey(bytes(range(3, 35)))
KEYS = [ALICE, BOB, CAROL, DAVE]
VALIDATORS = [ALICE, BOB, CAROL]  # two seats: one of them is always out of the set
POWER = 1_000_000
DISTRIBUTION = module_address("distribution")
FEE_COLLECTOR = module_address("fee_collector")


class StakingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp())
        self.node = TestNode(self.directory / "node")
        state = genesis_state({k.bech32_address: "100000000000ugpc" for k in KEYS})
        state["staking"]["params"]["unbonding_blocks"] = "3"
        state["staking"]["params"]["max_validators"] = "2"
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
        route=st.permutations(VALIDATORS),
        amount=st.integers(1, 10 * POWER),
    )
    def move(self, who: object, route: list[object], amount: int) -> None:
        source, destination = route[0], route[1]
        self._submit(who, redelegate(who, source, destination, amount))  # type: ignore[arg-type]

    @rule(seed=st.sampled_from([1, 2, 3]), blocks_ago=st.integers(0, 3))
    def double_sign(self, seed: int, blocks_ago: int) -> None:
        self.node.block(misbehavior=[self._evidence(seed, self.node.height - blocks_ago)])

    @rule(
        route=st.permutations(list(enumerate(VALIDATORS, start=1))),
        amount=st.integers(1, 5 * POWER),
    )
    def operator_moves_its_stake_after_double_signing(
        self, route: list[tuple[int, PrivateKey]], amount: int
    ) -> None:
        """Stake moved away right after an infraction: the slash must still reach it."""
        (seed, source), (_, destination) = route[0], route[1]
        infraction = self.node.height
        self._submit(source, redelegate(source, source, destination, amount))
        self.node.block(misbehavior=[self._evidence(seed, infraction)])

    def _evidence(self, seed: int, height: int) -> abci.Misbehavior:
        height = max(1, height)
        return abci.Misbehavior(
            type=abci.DUPLICATE_VOTE,
            validator=abci.Validator(address=consensus_address(consensus_key(seed)), power=10),
            height=height,
            time=timestamp_pb2.Timestamp(seconds=GENESIS_TIME_SECONDS + height * BLOCK_SECONDS),
            total_voting_power=20,
        )

    @rule()
    def rewarded_block(self) -> None:
        """Every validator of the set signs: inflation and fees are distributed."""
        reader = self.node.app.store.query_view()[0]
        staking = self.node.modules.get(StakingModule).keeper
        votes = [
            vote(consensus_address(consensus_key(seed)), power)
            for seed, key in enumerate(VALIDATORS, start=1)
            if (power := staking.last_powers(reader).get(key.address, 0))
        ]
        self.node.block(votes=votes)

    @rule(count=st.integers(1, 4))
    def wait(self, count: int) -> None:
        for _ in range(count):
            self.node.block()

    @invariant()
    def pools_match_validators(self) -> None:
        reader = self.node.app.store.query_view()[0]
        staking = self.node.modules.get(StakingModule).keeper
        bank = self.node.modules.get(BankModule).keeper
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

    @invariant()
    def supply_is_accounted_for(self) -> None:
        """supply = account balances + bonded + not bonded + outstanding rewards (and
        commission) + community pool + fees waiting for the next rewarded block."""
        reader = self.node.app.store.query_view()[0]
        staking, bank = (
            self.node.modules.get(StakingModule).keeper,
            self.node.modules.get(BankModule).keeper,
        )
        distribution = self.node.modules.get(DistributionModule).keeper
        pools = {BONDED_POOL, NOT_BONDED_POOL, DISTRIBUTION, FEE_COLLECTOR}
        balances = sum(
            c.amount for a, c in bank.all_balances(reader) if a not in pools and c.denom == "ugpc"
        )
        validators = staking.validators(reader)
        bonded = sum(v.tokens for v in validators if v.status == BondStatus.BONDED)
        not_bonded = sum(v.tokens for v in validators if v.status != BondStatus.BONDED) + sum(
            e.balance for e in staking.unbonding_entries(reader)
        )
        records = [r for _, r in distribution.all_validator_rewards(reader)]
        outstanding = sum(r.outstanding + r.commission for r in records)
        community_pool = distribution.community_pool(reader)
        waiting = bank.balance(reader, FEE_COLLECTOR, "ugpc")
        assert bank.supply_of(reader, "ugpc") == (
            balances + bonded + not_bonded + outstanding + community_pool + waiting
        )

    @invariant()
    def redelegations_never_outlive_the_unbonding_period(self) -> None:
        reader = self.node.app.store.query_view()[0]
        staking = self.node.modules.get(StakingModule).keeper
        for entry in staking.redelegation_entries(reader):
            assert self.node.height < entry.completion_height <= entry.creation_height + 3

    def teardown(self) -> None:
        self.node.close()
        shutil.rmtree(self.directory, ignore_errors=True)


StakingMachine.TestCase.settings = settings(max_examples=examples(25), stateful_step_count=15)
TestStakingAccounting = StakingMachine.TestCase
