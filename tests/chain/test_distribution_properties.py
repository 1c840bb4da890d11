"""Property tests: whatever delegators do and whoever signs, rewards never overdraw the
distribution account (its invariants run after every block), the same blocks give the same
app hashes on a fresh node, and once everyone has withdrawn, only rounding dust is left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_distribution import (
    RewardNode,
    create_validator,
    delegate,
    operator,
    signature,
    undelegate,
    withdraw_commission,
    withdraw_rewards,
)

from chain.crypto import PrivateKey
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.staking.v1beta1 import tx_pb2 as staking_tx
from chain.testing import genesis_state

OPERATORS = [PrivateKey(bytes([seed]) * 32) for seed in (101, 102, 103)]
CONSENSUS = [PrivateKey(bytes([seed]) * 32) for seed in (111, 112, 113)]
DELEGATORS = [PrivateKey(bytes([seed]) * 32) for seed in (121, 122)]
COMMISSIONS = ["0", "0.123", "1"]
SELF_STAKE = [7_777_777, 13_000_001, 3_141_592]

action = st.tuples(
    st.sampled_from(["delegate", "undelegate", "redelegate", "withdraw", "commission"]),
    st.integers(0, 1),  # delegator
    st.integers(0, 2),  # validator
    st.integers(0, 2),  # redelegation target
    st.integers(1, 5_000_000),
)
signers = st.lists(
    st.tuples(st.integers(0, 2), st.integers(1, 30), st.booleans()),
    max_size=3,
    unique_by=lambda entry: entry[0],
)
blocks = st.lists(st.tuples(st.lists(action, max_size=3), signers), min_size=1, max_size=6)
Plan = list[tuple[list[tuple[str, int, int, int, int]], list[tuple[int, int, bool]]]]


def _message(kind: str, who: int, validator: int, target: int, amount: int) -> tuple[Any, Any]:
    """(signing key, message) for one action."""
    delegator, chosen = DELEGATORS[who], OPERATORS[validator]
    if kind == "delegate":
        return delegator, delegate(delegator, chosen, amount)
    if kind == "undelegate":
        return delegator, undelegate(delegator, chosen, amount)
    if kind == "redelegate":
        return delegator, staking_tx.MsgBeginRedelegate(
            delegator_address=delegator.bech32_address,
            validator_src_address=operator(chosen),
            validator_dst_address=operator(OPERATORS[target]),
            amount=coin_pb2.Coin(denom="ugpc", amount=str(amount)),
        )
    if kind == "withdraw":
        return delegator, withdraw_rewards(delegator, chosen)
    return chosen, withdraw_commission(chosen)


def _run(home: Path, plan: Plan) -> RewardNode:
    node = RewardNode(home)
    state = genesis_state({key.bech32_address: "100000000ugpc" for key in OPERATORS + DELEGATORS})
    state["distribution"]["params"] = {"inflation_rate": "0.3", "blocks_per_year": "997"}
    node.init_chain(state)
    node.block()
    created = node.block(
        [
            node.sign(
                key,
                [create_validator(key, consensus, stake, rate)],
            )
            for key, consensus, stake, rate in zip(
                OPERATORS, CONSENSUS, SELF_STAKE, COMMISSIONS, strict=True
            )
        ]
    )
    assert all(result.code == 0 for result in created.tx_results)
    for actions, signed in plan:
        txs, used = [], set()
        for kind, who, validator, target, amount in actions:
            key, message = _message(kind, who, validator, target, amount)
            if key.address in used:
                continue  # one tx per signer per block keeps sequences simple
            used.add(key.address)
            txs.append(node.sign(key, [message]))
        votes = [signature(CONSENSUS[index], power, ok) for index, power, ok in signed]
        node.block(txs, votes=votes)
    return node


def _settle_everything(node: RewardNode) -> None:
    txs = []
    for delegator in DELEGATORS + OPERATORS:
        mine = node.answer("Rewards", delegator=delegator.bech32_address)["rewards"]
        if mine:
            txs.append(
                node.sign(
                    delegator,
                    [
                        withdraw_rewards(delegator, validator)
                        for validator in OPERATORS
                        if operator(validator) in {r["validator_address"] for r in mine}
                    ],
                )
            )
    node.block(txs)


@settings(max_examples=examples(25), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=blocks)
def test_random_delegations_and_commits_keep_the_books_and_replay_to_the_same_hashes(
    tmp_path_factory: pytest.TempPathFactory, plan: Plan
) -> None:
    first = _run(tmp_path_factory.mktemp("a"), plan)
    second = _run(tmp_path_factory.mktemp("b"), plan)
    try:
        assert first.app_hashes == second.app_hashes
        _settle_everything(first)
        # each settlement rounds down by under 1 ugpc: at most 3 a block, 3 at the end,
        # plus under 1 ugpc in all from the fixed-point reward per share
        touched = len(plan) * 3 + 3 + 1
        for validator in OPERATORS:
            dust = first.answer("Commission", validator=operator(validator))["outstanding_rewards"]
            assert sum(int(coin["amount"]) for coin in dust) <= touched
        for delegator in DELEGATORS + OPERATORS:
            assert first.answer("Rewards", delegator=delegator.bech32_address)["total"] == []
    finally:
        first.close()
        second.close()
