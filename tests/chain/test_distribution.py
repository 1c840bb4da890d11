"""Block rewards: inflation and fees reach the last commit's signers by power, commission
reaches the operator, the rest reaches delegators by share, to the last ugpc.

The expected amounts are computed here from the rules as a user would state them, in plain
integer (and exact-fraction) arithmetic, never by asking the distribution keeper.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, timestamp_pb2
from staking_helpers import delegate, undelegate

from chain.coins import DEC_ONE, Coin, Coins
from chain.crypto import (
    PrivateKey,
    address_from_pubkey,
    encode_validator_address,
    module_address,
)
from chain.pb.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from chain.pb.cosmos.distribution.v1beta1 import query_pb2
from chain.pb.cosmos.distribution.v1beta1 import tx_pb2 as distribution_tx
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.pb.cosmos.staking.v1beta1 import tx_pb2 as staking_tx
from chain.pb.gpuchain.distribution.v1 import query_pb2 as gpuchain_query_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import BLOCK_SECONDS, GENESIS_TIME_SECONDS, TestNode, genesis_state, vote
from x.bank.module import BankModule
from x.bank.msgs import send_msg
from x.distribution.msgs import withdraw_commission_msg, withdraw_rewards_msg
from x.staking.msgs import create_validator_msg

FEE = 2000
GPC = 1_000_000

OPERATOR_ONE = PrivateKey(bytes(range(10, 42)))
OPERATOR_TWO = PrivateKey(bytes(range(20, 52)))
DELEGATOR = PrivateKey(bytes(range(30, 62)))
STRANGER = PrivateKey(bytes(range(40, 72)))
CONSENSUS_ONE = PrivateKey(bytes(range(50, 82)))
CONSENSUS_TWO = PrivateKey(bytes(range(60, 92)))

FEE_COLLECTOR = module_address("fee_collector")
DISTRIBUTION = module_address("distribution")
SERVICE = "/cosmos.distribution.v1beta1.Query/"


# --- a test node and the messages ---------------------------------------------------------


def signature(consensus_key: PrivateKey, power: int, signed: bool = True) -> abci.VoteInfo:
    """One validator's vote in the last commit, as CometBFT reports it."""
    return vote(address_from_pubkey(consensus_key.public_key), power, signed)


@dataclass
class RewardNode(TestNode):
    """TestNode with readers of committed balances, supply and distribution queries."""

    __test__ = False

    def balance(self, key: PrivateKey | bytes, denom: str = "ugpc") -> int:
        address = key.address if isinstance(key, PrivateKey) else key
        reader, _, _ = self.app.store.query_view()
        amount: int = self.modules.get(BankModule).keeper.balance(reader, address, denom)
        return amount

    def supply(self, denom: str = "ugpc") -> int:
        reader, _, _ = self.app.store.query_view()
        amount: int = self.modules.get(BankModule).keeper.supply_of(reader, denom)
        return amount

    def answer(self, method: str, **arguments: str) -> Any:
        """A distribution query's answer in whole tokens: Rewards (delegator[, validator]),
        Commission (validator: commission and outstanding rewards), CommunityPool, Params
        (gpuchain's)."""
        if method == "Rewards" and "validator" in arguments:
            one = self.query(
                SERVICE + "DelegationRewards",
                query_pb2.QueryDelegationRewardsRequest(
                    delegator_address=arguments["delegator"],
                    validator_address=arguments["validator"],
                ),
                query_pb2.QueryDelegationRewardsResponse(),
            )
            reward = whole(one.rewards)
            return {
                "rewards": [{"validator_address": arguments["validator"], "reward": reward}],
                "total": reward,
            }
        if method == "Rewards":
            every = self.query(
                SERVICE + "DelegationTotalRewards",
                query_pb2.QueryDelegationTotalRewardsRequest(
                    delegator_address=arguments["delegator"]
                ),
                query_pb2.QueryDelegationTotalRewardsResponse(),
            )
            return {
                "rewards": [
                    {"validator_address": r.validator_address, "reward": whole(r.reward)}
                    for r in every.rewards
                ],
                "total": whole(every.total),
            }
        if method == "Commission":
            validator = arguments["validator"]
            commission = self.query(
                SERVICE + "ValidatorCommission",
                query_pb2.QueryValidatorCommissionRequest(validator_address=validator),
                query_pb2.QueryValidatorCommissionResponse(),
            )
            outstanding = self.query(
                SERVICE + "ValidatorOutstandingRewards",
                query_pb2.QueryValidatorOutstandingRewardsRequest(validator_address=validator),
                query_pb2.QueryValidatorOutstandingRewardsResponse(),
            )
            return {
                "commission": whole(commission.commission.commission),
                "outstanding_rewards": whole(outstanding.rewards.rewards),
            }
        if method == "CommunityPool":
            pool = self.query(
                SERVICE + "CommunityPool",
                query_pb2.QueryCommunityPoolRequest(),
                query_pb2.QueryCommunityPoolResponse(),
            )
            return {"pool": whole(pool.pool)}
        assert method == "Params", method
        params = self.query(
            "/gpuchain.distribution.v1.Query/Params",
            gpuchain_query_pb2.QueryParamsRequest(),
            gpuchain_query_pb2.QueryParamsResponse(),
        )
        return json_format.MessageToDict(params.params, preserving_proto_field_name=True)


def whole(coins: Any) -> list[dict[str, str]]:
    """DecCoins off the wire (LegacyDec: 18 decimals, no point) of whole tokens, as coins;
    a fraction would fail here: rewards are paid in whole tokens."""
    result = []
    for coin in coins:
        amount, fraction = divmod(int(coin.amount), DEC_ONE)
        assert fraction == 0, coin
        result.append({"denom": coin.denom, "amount": str(amount)})
    return result


def operator(key: PrivateKey) -> str:
    return encode_validator_address(key.address)


def create_validator(
    key: PrivateKey, consensus: PrivateKey, stake: int, rate: str
) -> staking_tx.MsgCreateValidator:
    return create_validator_msg(
        key.address,
        consensus.public_key,
        Coin("ugpc", stake),
        staking_pb2.Description(moniker=f"validator-{key.bech32_address[-4:]}"),
        (rate, "1", "0.01"),
    )


def withdraw_rewards(
    key: PrivateKey, validator: PrivateKey
) -> distribution_tx.MsgWithdrawDelegatorReward:
    return withdraw_rewards_msg(key.bech32_address, operator(validator))


def withdraw_commission(validator: PrivateKey) -> distribution_tx.MsgWithdrawValidatorCommission:
    return withdraw_commission_msg(operator(validator))


# --- the rules, computed independently ---------------------------------------------------


@dataclass
class Expected:
    """What the rules say each party is owed.

    Per rewarded block: provision = supply * 0.5 / 1000 (rounded down), plus every fee
    collected before the block; the community tax (2%) goes to the community pool and the
    signers share the other 98% (rounded down) by power (rounded down, the leftover to the
    community pool too); commission = reward * rate (rounded down); each delegator owns
    shares / all shares of the rest, and is paid the accrued sum rounded down once, when it
    is settled (withdrawal or a change of its delegation).
    """

    supply: int
    rate_per_mille: dict[str, int]  # validator → commission in thousandths
    shares: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # validator → delegator → shares
    fees_waiting: int = 0
    commission: dict[str, int] = field(default_factory=dict)
    accrued: dict[tuple[str, str], Fraction] = field(default_factory=dict)
    community_pool: int = 0

    def rewarded_block(self, powers: dict[str, int]) -> None:
        provision = self.supply * 5 // 10_000
        self.supply += provision
        pot = provision + self.fees_waiting
        self.fees_waiting = 0
        total_power = sum(powers.values())
        shared = pot * 98 // 100
        handed_out = 0
        for validator, power in powers.items():
            reward = shared * power // total_power
            handed_out += reward
            cut = reward * self.rate_per_mille[validator] // 1000
            self.commission[validator] = self.commission.get(validator, 0) + cut
            holders = self.shares[validator]
            all_shares = sum(holders.values())
            if not all_shares:  # every delegator left since the commit
                self.community_pool += reward - cut
            for delegator, held in holders.items():
                key = (validator, delegator)
                self.accrued[key] = self.accrued.get(key, Fraction(0)) + Fraction(
                    (reward - cut) * held, all_shares
                )
        self.community_pool += pot - handed_out

    def pending(self, validator: str, delegator: str) -> int:
        return int(self.accrued.get((validator, delegator), Fraction(0)))  # rounds down

    def settle(self, validator: str, delegator: str) -> int:
        paid = self.pending(validator, delegator)
        self.accrued[(validator, delegator)] = Fraction(0)
        return paid

    def take_commission(self, validator: str) -> int:
        return self.commission.pop(validator, 0)

    def unbond(self, validator: str, delegator: str) -> None:
        del self.shares[validator][delegator]

    def bond(self, validator: str, delegator: str, amount: int) -> None:
        holders = self.shares.setdefault(validator, {})
        holders[delegator] = holders.get(delegator, 0) + amount  # 1 share per token: no slashes


GENESIS_BALANCE = 100 * GPC


@pytest.fixture
def node(tmp_path: Path) -> Iterator[RewardNode]:
    state = genesis_state(
        {
            OPERATOR_ONE.bech32_address: f"{GENESIS_BALANCE}ugpc",
            OPERATOR_TWO.bech32_address: f"{GENESIS_BALANCE}ugpc",
            DELEGATOR.bech32_address: f"{GENESIS_BALANCE}ugpc",
            STRANGER.bech32_address: f"{GENESIS_BALANCE}ugpc",
        }
    )
    state["distribution"]["params"] = {"inflation_rate": "0.5", "blocks_per_year": "1000"}
    created = RewardNode(tmp_path / "node")
    created.init_chain(state)
    created.block()
    yield created
    created.close()


ONE, TWO = operator(OPERATOR_ONE), operator(OPERATOR_TWO)
ME = DELEGATOR.bech32_address


def start_validators(node: RewardNode) -> Expected:
    """Two validators (10 GPC at 10%, 40 GPC at 5%), and 10 GPC delegated to the first.

    Share totals (20 and 40 GPC) divide the keeper's fixed-point scale, so its reward per
    share is exact and the rules above give the very same amounts."""
    expected = Expected(supply=node.supply(), rate_per_mille={ONE: 100, TWO: 50})
    node.block(
        [
            node.sign(
                OPERATOR_ONE, [create_validator(OPERATOR_ONE, CONSENSUS_ONE, 10 * GPC, "0.10")]
            ),
            node.sign(
                OPERATOR_TWO, [create_validator(OPERATOR_TWO, CONSENSUS_TWO, 40 * GPC, "0.05")]
            ),
            node.sign(DELEGATOR, [delegate(DELEGATOR, OPERATOR_ONE, 10 * GPC)]),
        ]
    )
    expected.bond(ONE, OPERATOR_ONE.bech32_address, 10 * GPC)
    expected.bond(TWO, OPERATOR_TWO.bech32_address, 40 * GPC)
    expected.bond(ONE, ME, 10 * GPC)
    expected.fees_waiting += 3 * FEE
    return expected


def both_sign(power_one: int = 20, power_two: int = 40) -> list[abci.VoteInfo]:
    return [signature(CONSENSUS_ONE, power_one), signature(CONSENSUS_TWO, power_two)]


def assert_ok(result: abci.ResponseFinalizeBlock) -> None:
    for tx in result.tx_results:
        assert tx.code == 0, tx.log


# --- the flows ----------------------------------------------------------------------------


def test_blocks_without_signers_mint_nothing_and_leave_fees_waiting(node: RewardNode) -> None:
    supply = node.supply()
    node.block([node.sign(STRANGER, [bank_send(STRANGER, ME, 5)])])
    node.block()
    assert node.supply() == supply
    assert node.balance(FEE_COLLECTOR) == FEE
    assert node.balance(DISTRIBUTION) == 0


def bank_send(key: PrivateKey, recipient: str, amount: int) -> bank_tx.MsgSend:
    return send_msg(key.bech32_address, recipient, Coins.single("ugpc", amount))


def test_rewards_accrue_by_power_and_commission_to_the_last_ugpc(node: RewardNode) -> None:
    expected = start_validators(node)
    for _ in range(3):
        node.block(votes=both_sign())
        expected.rewarded_block({ONE: 20, TWO: 40})
    # a fee paid now reaches the validators in the next block
    assert_ok(node.block([node.sign(STRANGER, [bank_send(STRANGER, ME, 7)])], votes=both_sign()))
    expected.rewarded_block({ONE: 20, TWO: 40})
    expected.fees_waiting += FEE
    assert node.balance(FEE_COLLECTOR) == FEE
    node.block(votes=both_sign())
    expected.rewarded_block({ONE: 20, TWO: 40})
    assert node.balance(FEE_COLLECTOR) == 0
    assert node.supply() == expected.supply

    mine = node.answer("Rewards", delegator=ME)
    assert mine == {
        "rewards": [
            {
                "validator_address": ONE,
                "reward": [{"denom": "ugpc", "amount": str(expected.pending(ONE, ME))}],
            }
        ],
        "total": [{"denom": "ugpc", "amount": str(expected.pending(ONE, ME))}],
    }
    assert node.answer("Commission", validator=TWO)["commission"] == [
        {"denom": "ugpc", "amount": str(expected.commission[TWO])}
    ]

    before = {key: node.balance(key) for key in (DELEGATOR, OPERATOR_ONE, OPERATOR_TWO)}
    txs = [
        node.sign(DELEGATOR, [withdraw_rewards(DELEGATOR, OPERATOR_ONE)]),
        node.sign(
            OPERATOR_ONE,
            [withdraw_rewards(OPERATOR_ONE, OPERATOR_ONE), withdraw_commission(OPERATOR_ONE)],
        ),
        node.sign(OPERATOR_TWO, [withdraw_commission(OPERATOR_TWO)]),
    ]
    assert_ok(node.block(txs, votes=both_sign()))
    expected.rewarded_block({ONE: 20, TWO: 40})  # begin-block pays before the txs run
    expected.fees_waiting += 3 * FEE
    mine = expected.settle(ONE, ME)
    own_one = expected.settle(ONE, OPERATOR_ONE.bech32_address)
    commission_one = expected.take_commission(ONE)
    commission_two = expected.take_commission(TWO)
    assert mine > 0 and own_one > 0 and commission_one > 0 and commission_two > 0
    assert node.balance(DELEGATOR) == before[DELEGATOR] - FEE + mine
    assert node.balance(OPERATOR_ONE) == before[OPERATOR_ONE] - FEE + own_one + commission_one
    assert node.balance(OPERATOR_TWO) == before[OPERATOR_TWO] - FEE + commission_two

    # what is left in the module account: the second validator's delegators' part, the
    # community pool, and nothing else (shares divide the scale: no rounding dust)
    owed_two = expected.pending(TWO, OPERATOR_TWO.bech32_address)
    assert node.balance(DISTRIBUTION) == owed_two + expected.community_pool
    assert node.answer("CommunityPool") == {
        "pool": [{"denom": "ugpc", "amount": str(expected.community_pool)}]
        if expected.community_pool
        else []
    }


def test_a_delegation_change_settles_pending_rewards_automatically(node: RewardNode) -> None:
    expected = start_validators(node)
    for _ in range(2):
        node.block(votes=both_sign())
        expected.rewarded_block({ONE: 20, TWO: 40})
    before = node.balance(DELEGATOR)
    assert_ok(
        node.block(
            [node.sign(DELEGATOR, [delegate(DELEGATOR, OPERATOR_ONE, 30 * GPC)])], votes=both_sign()
        )
    )
    expected.rewarded_block({ONE: 20, TWO: 40})
    expected.fees_waiting += FEE
    settled = expected.settle(ONE, ME)
    expected.bond(ONE, ME, 30 * GPC)  # the first validator now has 50 GPC of shares
    assert settled > 0
    assert node.balance(DELEGATOR) == before - FEE - 30 * GPC + settled
    assert node.answer("Rewards", delegator=ME, validator=ONE)["total"] == []

    # from now on the new shares earn, at the new power; an absent signer earns nothing
    node.block(votes=both_sign(50, 40))
    expected.rewarded_block({ONE: 50, TWO: 40})
    node.block(votes=[signature(CONSENSUS_ONE, 50), signature(CONSENSUS_TWO, 40, signed=False)])
    expected.rewarded_block({ONE: 50})
    # a vote by a key no validator has is ignored
    node.block(votes=[signature(CONSENSUS_ONE, 50), signature(STRANGER, 1000)])
    expected.rewarded_block({ONE: 50})
    pending = node.answer("Rewards", delegator=ME, validator=ONE)["total"]
    assert pending == [{"denom": "ugpc", "amount": str(expected.pending(ONE, ME))}]

    before = node.balance(DELEGATOR)
    assert_ok(node.block([node.sign(DELEGATOR, [withdraw_rewards(DELEGATOR, OPERATOR_ONE)])]))
    assert node.balance(DELEGATOR) == before - FEE + expected.settle(ONE, ME)


def test_when_every_delegator_leaves_their_share_goes_to_the_community_pool(
    node: RewardNode,
) -> None:
    expected = start_validators(node)
    node.block(votes=both_sign())
    expected.rewarded_block({ONE: 20, TWO: 40})
    before = {key: node.balance(key) for key in (DELEGATOR, OPERATOR_ONE)}
    txs = [
        node.sign(DELEGATOR, [undelegate(DELEGATOR, OPERATOR_ONE, 10 * GPC)]),
        node.sign(OPERATOR_ONE, [undelegate(OPERATOR_ONE, OPERATOR_ONE, 10 * GPC)]),
    ]
    assert_ok(node.block(txs, votes=both_sign()))
    expected.rewarded_block({ONE: 20, TWO: 40})
    expected.fees_waiting += 2 * FEE
    for key in (DELEGATOR, OPERATOR_ONE):  # unbonding settles; the stake itself comes later
        paid = expected.settle(ONE, key.bech32_address)
        expected.unbond(ONE, key.bech32_address)
        assert paid > 0
        assert node.balance(key) == before[key] - FEE + paid

    # CometBFT still counts the validator for two more blocks: its commission is earned,
    # the delegators' part has nobody to go to
    node.block(votes=both_sign())
    expected.rewarded_block({ONE: 20, TWO: 40})
    assert node.answer("CommunityPool") == {
        "pool": [{"denom": "ugpc", "amount": str(expected.community_pool)}]
    }
    assert node.answer("Commission", validator=ONE) == {
        "commission": [{"denom": "ugpc", "amount": str(expected.commission[ONE])}],
        "outstanding_rewards": [],
    }
    assert node.answer("Rewards", delegator=ME) == {"rewards": [], "total": []}


def double_sign(consensus: PrivateKey, height: int, power: int) -> abci.Misbehavior:
    return abci.Misbehavior(
        type=abci.DUPLICATE_VOTE,
        validator=abci.Validator(address=address_from_pubkey(consensus.public_key), power=power),
        height=height,
        time=timestamp_pb2.Timestamp(seconds=GENESIS_TIME_SECONDS + height * BLOCK_SECONDS),
        total_voting_power=power,
    )


def test_a_slash_cuts_tokens_not_shares_so_rewards_stay_exact(node: RewardNode) -> None:
    expected = start_validators(node)
    node.block(votes=both_sign())
    expected.rewarded_block({ONE: 20, TWO: 40})
    infraction = node.height
    result = node.block(votes=both_sign(), misbehavior=[double_sign(CONSENSUS_ONE, infraction, 20)])
    expected.rewarded_block({ONE: 20, TWO: 40})  # begin-block pays before slashing punishes
    assert any(e.type == "slash" for e in result.events)
    expected.supply -= 20 * GPC * 5 // 100  # burned: the next provisions are smaller
    assert node.supply() == expected.supply
    node.block(votes=both_sign())  # CometBFT still counts it for two more blocks
    expected.rewarded_block({ONE: 20, TWO: 40})
    assert node.answer("Rewards", delegator=ME)["total"] == [
        {"denom": "ugpc", "amount": str(expected.pending(ONE, ME))}
    ]

    # 5% of its 20 GPC burned: the delegator's 10 GPC of shares are now worth 9.5 GPC
    before = node.balance(DELEGATOR)
    result = node.block(
        [node.sign(DELEGATOR, [undelegate(DELEGATOR, OPERATOR_ONE, 9_500_000)])],
        votes=[signature(CONSENSUS_TWO, 40)],
    )
    assert_ok(result)
    expected.rewarded_block({TWO: 40})
    assert node.balance(DELEGATOR) == before - FEE + expected.settle(ONE, ME)
    assert node.answer("Rewards", delegator=ME) == {"rewards": [], "total": []}


def test_uneven_shares_lose_at_most_rounding_and_the_books_still_balance(
    node: RewardNode,
) -> None:
    """13 GPC of shares do not divide the scale: each payment may fall one ugpc short of the
    exact share, never more, and never above it (invariants run after every block)."""
    expected = Expected(supply=node.supply(), rate_per_mille={ONE: 333})
    node.block(
        [
            node.sign(
                OPERATOR_ONE, [create_validator(OPERATOR_ONE, CONSENSUS_ONE, 10 * GPC, "0.333")]
            ),
            node.sign(DELEGATOR, [delegate(DELEGATOR, OPERATOR_ONE, 3 * GPC)]),
        ]
    )
    expected.bond(ONE, OPERATOR_ONE.bech32_address, 10 * GPC)
    expected.bond(ONE, ME, 3 * GPC)
    expected.fees_waiting += 2 * FEE
    for _ in range(7):
        node.block(votes=[signature(CONSENSUS_ONE, 13)])
        expected.rewarded_block({ONE: 13})
    before = node.balance(DELEGATOR)
    assert_ok(node.block([node.sign(DELEGATOR, [withdraw_rewards(DELEGATOR, OPERATOR_ONE)])]))
    paid = node.balance(DELEGATOR) - before + FEE
    exact = expected.settle(ONE, ME)
    assert exact - 1 <= paid <= exact


def test_withdrawing_without_a_delegation_fails_with_the_distribution_error(
    node: RewardNode,
) -> None:
    start_validators(node)
    node.block(votes=both_sign())
    before = node.balance(STRANGER)
    result = node.block(
        [node.sign(STRANGER, [withdraw_rewards(STRANGER, OPERATOR_ONE)])], votes=both_sign()
    )
    (outcome,) = result.tx_results
    assert (outcome.codespace, outcome.code) == ("distribution", 13)
    assert "delegation does not exist" in outcome.log
    assert node.balance(STRANGER) == before - FEE

    result = node.block([node.sign(STRANGER, [withdraw_rewards(STRANGER, STRANGER)])])
    assert (result.tx_results[0].codespace, result.tx_results[0].code) == ("distribution", 12)
    result = node.block([node.sign(STRANGER, [withdraw_commission(STRANGER)])])
    assert (result.tx_results[0].codespace, result.tx_results[0].code) == ("distribution", 12)
    missing = node.app.query(
        abci.RequestQuery(
            path=SERVICE + "DelegationRewards",
            data=query_pb2.QueryDelegationRewardsRequest(
                delegator_address=STRANGER.bech32_address, validator_address=ONE
            ).SerializeToString(),
        )
    )
    assert (missing.codespace, missing.code) == ("distribution", 13)


def test_withdrawing_empty_commission_fails_and_empty_rewards_pay_nothing(node: RewardNode) -> None:
    start_validators(node)  # bonded, but no commit has named them yet
    result = node.block(
        [
            node.sign(OPERATOR_ONE, [withdraw_commission(OPERATOR_ONE)]),
            node.sign(DELEGATOR, [withdraw_rewards(DELEGATOR, OPERATOR_ONE)]),
        ]
    )
    assert (result.tx_results[0].codespace, result.tx_results[0].code) == ("distribution", 7)
    assert result.tx_results[1].code == 0, result.tx_results[1].log
    events = [e for e in result.tx_results[1].events if e.type == "withdraw_rewards"]
    assert [(a.key, a.value) for a in events[0].attributes] == [
        ("amount", "0ugpc"),
        ("validator", ONE),
        ("delegator", ME),
    ]


def test_params_are_queryable_and_genesis_export_then_import_is_the_identity(
    node: RewardNode, tmp_path: Path
) -> None:
    assert node.answer("Params") == {
        "inflation_rate": "0.500000000000000000",
        "blocks_per_year": "1000",
        "community_tax": "0.020000000000000000",  # Cosmos's default
    }
    start_validators(node)
    for _ in range(3):
        node.block(votes=both_sign())
    node.block(
        [node.sign(DELEGATOR, [withdraw_rewards(DELEGATOR, OPERATOR_ONE)])], votes=both_sign()
    )
    node.block(votes=both_sign())
    exported = node.app.export_genesis()
    assert exported["distribution"]["validators"] and exported["distribution"]["delegations"]

    copy = RewardNode(tmp_path / "copy")
    try:
        copy.init_chain(exported)  # invariants are checked on the imported state too
        copy.block()
        assert copy.app.export_genesis() == exported
        for delegator in (ME, OPERATOR_ONE.bech32_address, OPERATOR_TWO.bech32_address):
            assert copy.answer("Rewards", delegator=delegator) == node.answer(
                "Rewards", delegator=delegator
            )
        # both chains go on paying the same amounts for the same commit
        node.block(votes=both_sign())
        copy.block(votes=both_sign())
        assert copy.answer("Rewards", delegator=ME) == node.answer("Rewards", delegator=ME)
        assert copy.answer("Commission", validator=ONE) == node.answer("Commission", validator=ONE)
    finally:
        copy.close()


def test_the_community_tax_sends_its_share_of_fees_and_inflation_to_the_pool(
    tmp_path: Path,
) -> None:
    state = genesis_state({OPERATOR_ONE.bech32_address: f"{GENESIS_BALANCE}ugpc"})
    state["distribution"]["params"] = {
        "inflation_rate": "0.5",
        "blocks_per_year": "1000",
        "community_tax": "0.25",
    }
    node = RewardNode(tmp_path / "node")
    try:
        node.init_chain(state)
        node.block()
        node.block(
            [node.sign(OPERATOR_ONE, [create_validator(OPERATOR_ONE, CONSENSUS_ONE, GPC, "0")])]
        )
        supply = node.supply()
        node.block(votes=[signature(CONSENSUS_ONE, 1)])
        pot = supply * 5 // 10_000 + FEE
        to_pool = pot - pot * 75 // 100
        assert node.answer("CommunityPool") == {"pool": [{"denom": "ugpc", "amount": str(to_pool)}]}
        assert node.answer("Commission", validator=ONE)["outstanding_rewards"] == [
            {"denom": "ugpc", "amount": str(pot - to_pool)}
        ]
    finally:
        node.close()


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"inflation_rate": "1.5"}, "inflation_rate cannot exceed 1"),
        ({"community_tax": "1.01"}, "community_tax cannot exceed 1"),
        ({"community_tax": "-0.1"}, "community_tax"),
    ],
)
def test_genesis_with_a_bad_distribution_section_is_refused(
    tmp_path: Path, params: dict[str, str], words: str
) -> None:
    state = genesis_state({ME: "1000ugpc"})
    state["distribution"]["params"] = {"blocks_per_year": "1000", **params}
    fresh = TestNode(tmp_path / "bad")
    try:
        with pytest.raises(Exception, match=words):
            fresh.init_chain(state)
    finally:
        fresh.close()
