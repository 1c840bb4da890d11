"""Validators join, bond and leave the set CometBFT runs with; every bad staking message is
refused with its registered error and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chain_fixtures import ALICE, BOB, CAROL
from google.protobuf import json_format
from staking_helpers import consensus_key, create_validator, delegate, redelegate, undelegate

from chain.context import EvidenceParams
from chain.crypto import PrivateKey, encode_address, encode_validator_address
from chain.errors import AppError
from chain.genesis import GenesisError, validate_genesis
from chain.pb.cosmos.staking.v1beta1 import tx_pb2
from chain.pb.gpuchain.staking.v1 import query_pb2
from chain.testing import TestNode, genesis_state
from chain.wiring import build_modules
from x.bank.module import BankModule
from x.staking.keeper import BONDED_POOL, NOT_BONDED_POOL, StakingKeeper
from x.staking.module import StakingModule
from x.staking.types import BondStatus

POWER = 1_000_000


@pytest.fixture
def node(tmp_path: Path) -> Iterator[TestNode]:
    test_node = TestNode(tmp_path / "node")
    state = genesis_state(
        {
            ALICE.bech32_address: "10000000000ugpc",
            BOB.bech32_address: "10000000000ugpc",
            CAROL.bech32_address: "10000000000ugpc",
        }
    )
    state["staking"]["params"]["unbonding_blocks"] = "5"
    test_node.init_chain(state)
    test_node.block()
    yield test_node
    test_node.close()


def run(node: TestNode, signer: PrivateKey, message: object) -> tuple[int, str]:
    result = node.block([node.sign(signer, [message], gas=400_000, fee="4000ugpc")])  # type: ignore[list-item]
    tx = result.tx_results[0]
    return tx.code, tx.log


def staking(node: TestNode) -> StakingKeeper:
    return node.modules.get(StakingModule).keeper


def reader(node: TestNode):  # type: ignore[no-untyped-def]
    return node.app.store.query_view()[0]


def updates_of(result: object) -> dict[bytes, int]:
    return {bytes(u.pub_key.ed25519): u.power for u in result.validator_updates}  # type: ignore[attr-defined]


def test_create_validator_enters_the_set_in_the_same_block(node: TestNode) -> None:
    key = consensus_key(1)
    result = node.block(
        [node.sign(ALICE, [create_validator(ALICE, key, 5 * POWER)], gas=400_000, fee="4000ugpc")]
    )
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    assert updates_of(result) == {key.public_key: 5}
    validator = staking(node).validator(reader(node), ALICE.address)
    assert validator.status == BondStatus.BONDED and validator.tokens == 5 * POWER
    bank = node.modules.get(BankModule).keeper
    assert bank.balance(reader(node), BONDED_POOL, "ugpc") == 5 * POWER


def test_delegation_raises_power_and_undelegation_returns_tokens_after_unbonding(
    node: TestNode,
) -> None:
    key = consensus_key(1)
    assert run(node, ALICE, create_validator(ALICE, key, 5 * POWER))[0] == 0
    result = node.block(
        [node.sign(BOB, [delegate(BOB, ALICE, 3 * POWER)], gas=400_000, fee="4000ugpc")]
    )
    assert updates_of(result) == {key.public_key: 8}
    bank = node.modules.get(BankModule).keeper
    before = bank.balance(reader(node), BOB.address, "ugpc")
    result = node.block(
        [node.sign(BOB, [undelegate(BOB, ALICE, 2 * POWER)], gas=400_000, fee="4000ugpc")]
    )
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    completion = node.height + 5
    assert updates_of(result) == {key.public_key: 6}
    assert bank.balance(reader(node), BOB.address, "ugpc") == before - 4000
    assert bank.balance(reader(node), NOT_BONDED_POOL, "ugpc") == 2 * POWER
    while node.height < completion - 1:
        node.block()
        assert bank.balance(reader(node), BOB.address, "ugpc") == before - 4000
    node.block()
    assert node.height == completion
    assert bank.balance(reader(node), BOB.address, "ugpc") == before - 4000 + 2 * POWER
    assert bank.balance(reader(node), NOT_BONDED_POOL, "ugpc") == 0


def test_redelegation_moves_power_between_validators_at_once(node: TestNode) -> None:
    first, second = consensus_key(1), consensus_key(2)
    assert run(node, ALICE, create_validator(ALICE, first, 5 * POWER))[0] == 0
    assert run(node, BOB, create_validator(BOB, second, 5 * POWER))[0] == 0
    assert run(node, CAROL, delegate(CAROL, ALICE, 4 * POWER))[0] == 0
    result = node.block(
        [node.sign(CAROL, [redelegate(CAROL, ALICE, BOB, 4 * POWER)], gas=400_000, fee="4000ugpc")]
    )
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    assert updates_of(result) == {first.public_key: 5, second.public_key: 9}


def query(node: TestNode, method: str, delegator: PrivateKey) -> Any:
    """gpuchain's Unbonding or Redelegations query of a delegator, as JSON."""
    response_class = {
        "Unbonding": query_pb2.QueryUnbondingResponse,
        "Redelegations": query_pb2.QueryRedelegationsResponse,
    }[method]
    answer = node.query(
        "/gpuchain.staking.v1.Query/" + method,
        query_pb2.QueryDelegatorRequest(delegator=delegator.bech32_address),
        response_class(),
    )
    return json_format.MessageToDict(
        answer, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def status(node: TestNode, operator: PrivateKey) -> BondStatus:
    found: BondStatus = staking(node).validator(reader(node), operator.address).status
    return found


def test_max_validators_keeps_only_the_strongest(tmp_path: Path) -> None:
    """A validator pushed out of the set is UNBONDING (its stake in the not-bonded pool,
    still slashable) for the unbonding period, then UNBONDED; one that comes back before
    the period ends is simply BONDED again."""
    test_node = TestNode(tmp_path / "n")
    state = genesis_state({k.bech32_address: "10000000000ugpc" for k in (ALICE, BOB, CAROL)})
    state["staking"]["params"]["max_validators"] = "2"
    state["staking"]["params"]["unbonding_blocks"] = "5"
    test_node.init_chain(state)
    test_node.block()
    for seed, (key, stake) in enumerate(((ALICE, 3), (BOB, 5), (CAROL, 4)), start=1):
        assert (
            run(test_node, key, create_validator(key, consensus_key(seed), stake * POWER))[0] == 0
        )
    keeper = staking(test_node)
    bonded = {op for op, _ in keeper.last_powers(reader(test_node)).items()}
    assert bonded == {BOB.address, CAROL.address}
    assert status(test_node, ALICE) == BondStatus.UNBONDING  # pushed out when Carol came
    result = test_node.block(
        [test_node.sign(ALICE, [delegate(ALICE, ALICE, 3 * POWER)], gas=400_000, fee="4000ugpc")]
    )
    assert updates_of(result) == {consensus_key(1).public_key: 6, consensus_key(3).public_key: 0}
    left = test_node.height
    assert status(test_node, CAROL) == BondStatus.UNBONDING
    bank = test_node.modules.get(BankModule).keeper
    assert bank.balance(reader(test_node), NOT_BONDED_POOL, "ugpc") == 4 * POWER
    events = [
        {a.key: a.value for a in e.attributes}
        for e in result.events
        if e.type == "validator_status"
    ]
    assert {"validator": encode_validator_address(CAROL.address), "status": "unbonding"} in events
    while test_node.height < left + 4:
        test_node.block()
        assert status(test_node, CAROL) == BondStatus.UNBONDING
    test_node.block()
    assert status(test_node, CAROL) == BondStatus.UNBONDED

    # Back in before its period ends: BONDED, and no later step unbonds it.
    assert run(test_node, CAROL, delegate(CAROL, CAROL, 3 * POWER))[0] == 0  # 7, 6 > 5: Bob out
    assert status(test_node, CAROL) == BondStatus.BONDED
    assert status(test_node, BOB) == BondStatus.UNBONDING
    assert run(test_node, BOB, delegate(BOB, BOB, 2 * POWER))[0] == 0  # 7, 7 > 6: Alice out
    assert status(test_node, BOB) == BondStatus.BONDED
    assert status(test_node, ALICE) == BondStatus.UNBONDING
    for _ in range(6):
        test_node.block()
    assert status(test_node, BOB) == BondStatus.BONDED
    assert bank.balance(reader(test_node), BONDED_POOL, "ugpc") == 14 * POWER
    test_node.close()


def test_redelegated_stake_stays_in_transit_for_the_unbonding_period(node: TestNode) -> None:
    """At most 7 redelegations per delegator, source and destination; stake still in
    transit to a validator cannot be redelegated away from it until its entry completes."""
    first, second = consensus_key(1), consensus_key(2)
    assert run(node, ALICE, create_validator(ALICE, first, 5 * POWER))[0] == 0
    assert run(node, BOB, create_validator(BOB, second, 5 * POWER))[0] == 0
    assert run(node, CAROL, delegate(CAROL, ALICE, 10 * POWER))[0] == 0
    _, sequence = node.account(CAROL)
    moves = [
        node.sign(
            CAROL,
            [redelegate(CAROL, ALICE, BOB, POWER)],
            gas=400_000,
            fee="4000ugpc",
            sequence=sequence + index,
        )
        for index in range(8)
    ]
    results = node.block(moves).tx_results
    moved_at = node.height
    assert [r.code for r in results] == [0] * 7 + [13], [r.log for r in results]
    assert "7 redelegations already pending" in results[7].log
    code, log = run(node, CAROL, redelegate(CAROL, BOB, ALICE, POWER))
    assert code == 16 and "in transit" in log
    entries = query(node, "Redelegations", CAROL)["entries"]
    assert [(e["completion_height"], e["initial_balance"]) for e in entries] == [
        (str(moved_at + 5), str(POWER))
    ] * 7
    while node.height < moved_at + 4:
        node.block()
        assert run(node, CAROL, redelegate(CAROL, BOB, ALICE, POWER))[0] == 16
    node.block()
    assert query(node, "Redelegations", CAROL)["entries"] == []
    assert run(node, CAROL, redelegate(CAROL, BOB, ALICE, POWER))[0] == 0


def test_undelegate_gas_does_not_grow_with_unrelated_unbondings(tmp_path: Path) -> None:
    """Counting a delegator's pending unbondings with a validator reads only that pair's
    entries: 10,000 other delegators' unbondings from the same validator cost no more than
    one of the same total."""
    gas = []
    for pending in (1, 10_000):  # 10,000 ugpc unbonding either way
        test_node = TestNode(tmp_path / str(pending))
        state = genesis_state({k.bech32_address: "10000000000ugpc" for k in (ALICE, BOB)})
        others = [bytes([1]) + index.to_bytes(19, "big") for index in range(pending)]
        state["staking"]["unbonding_entries"] = [
            {
                "delegator": delegator.hex(),
                "operator": ALICE.address.hex(),
                "creation_height": 1,
                "completion_height": 1_000_000,
                "initial_balance": 10_000 // pending,
                "balance": 10_000 // pending,
            }
            for delegator in others
        ]
        state["bank"]["balances"].append(
            {
                "address": encode_address(NOT_BONDED_POOL),
                "coins": [{"denom": "ugpc", "amount": "10000"}],
            }
        )
        test_node.init_chain(state)
        test_node.block()
        assert run(test_node, ALICE, create_validator(ALICE, consensus_key(1), 5 * POWER))[0] == 0
        assert run(test_node, BOB, delegate(BOB, ALICE, POWER))[0] == 0
        result = test_node.block(
            [test_node.sign(BOB, [undelegate(BOB, ALICE, POWER // 2)], gas=400_000, fee="4000ugpc")]
        )
        assert result.tx_results[0].code == 0, result.tx_results[0].log
        gas.append(result.tx_results[0].gas_used)
        entries = query(test_node, "Unbonding", BOB)["entries"]
        assert [e["balance"] for e in entries] == [str(POWER // 2)]
        test_node.close()
    assert gas[0] == gas[1], gas


def test_an_unbonding_period_shorter_than_the_evidence_max_age_is_refused(
    tmp_path: Path,
) -> None:
    state = genesis_state({ALICE.bech32_address: "1000ugpc"})
    state["staking"]["params"]["unbonding_blocks"] = "99"
    genesis = {
        "chain_id": "gpuchain-test",
        "app_state": state,
        "consensus_params": {
            "evidence": {"max_age_num_blocks": "100", "max_age_duration": "100000000000"}
        },
    }
    with pytest.raises(GenesisError, match="unbonding_blocks 99 is shorter than"):
        validate_genesis(genesis, build_modules())
    genesis["consensus_params"]["evidence"]["max_age_num_blocks"] = "99"  # type: ignore[index]
    validate_genesis(genesis, build_modules())
    genesis["consensus_params"]["evidence"]["max_age_duration"] = "48h"  # type: ignore[index]
    with pytest.raises(GenesisError, match="max_age_duration '48h' is not a count"):
        validate_genesis(genesis, build_modules())

    test_node = TestNode(tmp_path / "node")
    with pytest.raises(AppError, match="max_age_num_blocks 100"):
        test_node.init_chain(state, evidence=EvidenceParams(100, 100 * 10**9))
    test_node.close()


@pytest.mark.parametrize(
    ("build", "code", "words"),
    [
        (
            lambda: create_validator(ALICE, consensus_key(9), POWER, rate="0.30"),
            5,
            "rate cannot exceed",
        ),
        (
            lambda: create_validator(ALICE, consensus_key(9), POWER, max_rate="1.5"),
            5,
            "cannot exceed 1",
        ),
        (
            lambda: create_validator(ALICE, consensus_key(9), POWER, max_change="0.5"),
            5,
            "max_change_rate",
        ),
        (lambda: create_validator(ALICE, consensus_key(9), POWER, rate="abc"), 5, "not a decimal"),
        (lambda: create_validator(ALICE, b"\x01" * 31, POWER), 4, "31 bytes"),
        (
            lambda: create_validator(ALICE, consensus_key(9), 5, min_self="10"),
            7,
            "below the declared",
        ),
        (lambda: delegate(ALICE, BOB, POWER), 8, "validator does not exist"),
        (lambda: undelegate(ALICE, BOB, POWER), 8, "validator does not exist"),
        (lambda: redelegate(ALICE, BOB, BOB, POWER), 12, "same validator"),
    ],
)
def test_bad_staking_messages_are_refused(node: TestNode, build, code: int, words: str) -> None:  # type: ignore[no-untyped-def]
    before = dict(reader(node).iterate())
    result = node.block([node.sign(ALICE, [build()], gas=400_000, fee="4000ugpc")]).tx_results[0]
    assert (result.code, result.codespace) == (code, "staking"), result.log
    assert words in result.log
    after = dict(reader(node).iterate())
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    # only the fee and the sequence moved: auth account, balances, fee collector, supply untouched
    assert all(key[:1] in (b"\x01", b"\x02") for key in changed), changed


def test_a_consensus_key_already_used_or_an_existing_operator_is_refused(node: TestNode) -> None:
    key = consensus_key(1)
    assert run(node, ALICE, create_validator(ALICE, key, POWER))[0] == 0
    code, log = run(node, BOB, create_validator(BOB, key, POWER))
    assert code == 3 and "consensus pubkey already used" in log
    code, log = run(node, ALICE, create_validator(ALICE, consensus_key(2), POWER))
    assert code == 2 and "already exists" in log


def test_undelegating_more_than_delegated_is_refused(node: TestNode) -> None:
    assert run(node, ALICE, create_validator(ALICE, consensus_key(1), 2 * POWER))[0] == 0
    assert run(node, BOB, delegate(BOB, ALICE, POWER))[0] == 0
    code, log = run(node, BOB, undelegate(BOB, ALICE, POWER + 1))
    assert code == 9 and f"has {POWER} bonded" in log


def test_commission_changes_are_bounded_by_max_change_and_once_a_day(node: TestNode) -> None:
    from chain.crypto import encode_validator_address

    assert run(node, ALICE, create_validator(ALICE, consensus_key(1), POWER))[0] == 0
    address = encode_validator_address(ALICE.address)
    code, log = run(
        node, ALICE, tx_pb2.MsgEditValidator(validator_address=address, commission_rate="0.105")
    )
    assert code == 6 and "24 hours" in log
    day = 24 * 3600 * 1_000_000_000
    later = (1_700_000_000 + node.height + 1) * 1_000_000_000 + day
    too_big = node.sign(
        ALICE,
        [tx_pb2.MsgEditValidator(validator_address=address, commission_rate="0.15")],
        gas=400_000,
        fee="4000ugpc",
    )
    result = node.block([too_big], time_ns=later).tx_results[0]
    assert result.code == 6 and "max_change_rate" in result.log
    fine = node.sign(
        ALICE,
        [tx_pb2.MsgEditValidator(validator_address=address, commission_rate="0.105")],
        gas=400_000,
        fee="4000ugpc",
    )
    result = node.block([fine], time_ns=later + 10**9).tx_results[0]
    assert result.code == 0, result.log
