"""Slashing end to end, in process over real LevelDB: validators that miss too many blocks
are slashed and jailed and may unjail later; double signers are slashed (unbondings made
since the infraction too), tombstoned and jailed for good. The node checks every invariant
after every block (invariant_check_period=1), so each test also shows they hold."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chain_fixtures import ALICE, BOB, CAROL
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from staking_helpers import delegate, redelegate, undelegate, valoper

from chain.coins import Coin
from chain.context import EvidenceParams
from chain.crypto import PrivateKey, address_from_pubkey
from chain.errors import AppError
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2 as slashing_tx
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.pb.cosmos.staking.v1beta1 import tx_pb2 as staking_tx
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.pb.tendermint.types import validator_pb2
from chain.testing import (
    BLOCK_SECONDS,
    GENESIS_TIME_SECONDS,
    TestNode,
    answer_json,
    genesis_state,
    query_messages,
)
from x.bank.module import BankModule
from x.slashing.msgs import unjail_msg
from x.staking.module import StakingModule
from x.staking.msgs import create_validator_msg

WINDOW = 10
MAX_MISSED = 5  # window 10, min signed 0.5
JAIL_BLOCKS = 5
FRACTION_ONE = 10**18
DOUBLE_SIGN_FRACTION = 5 * 10**16  # 0.05
DOWNTIME_FRACTION = 10**16  # 0.01
POWER_REDUCTION = 1_000_000

ALICE_CONSENSUS = PrivateKey(bytes([7]) * 32)
BOB_CONSENSUS = PrivateKey(bytes([8]) * 32)
DAVE = PrivateKey(bytes(range(3, 35)))
DAVE_CONSENSUS = PrivateKey(bytes([9]) * 32)

SLASHING_PARAMS = {
    "signed_blocks_window": str(WINDOW),
    "min_signed_per_window": "0.5",
    "downtime_jail_blocks": str(JAIL_BLOCKS),
    "slash_fraction_double_sign": "0.05",
    "slash_fraction_downtime": "0.01",
}


def consensus_address(key: PrivateKey) -> bytes:
    return address_from_pubkey(key.public_key)


@dataclass
class Net:
    """A chain with validators we vote for by hand: each block names who signed the last."""

    node: TestNode

    def reader(self) -> Any:
        reader, _, _ = self.node.app.store.query_view()
        return reader

    def validator(self, operator: PrivateKey) -> Any:
        return self.node.modules.get(StakingModule).keeper.validator(
            self.reader(), operator.address
        )

    def tokens(self, operator: PrivateKey) -> int:
        tokens: int = self.validator(operator).tokens
        return tokens

    def bonded(self, delegator: PrivateKey, operator: PrivateKey) -> int:
        """What delegator's shares in operator's validator are worth now."""
        staking = self.node.modules.get(StakingModule).keeper
        shares = staking.delegation_shares(self.reader(), delegator.address, operator.address)
        worth: int = self.validator(operator).tokens_for_shares(shares)
        return worth

    def supply(self) -> int:
        amount: int = self.node.modules.get(BankModule).keeper.supply_of(self.reader(), "ugpc")
        return amount

    def unbondings(self, delegator: PrivateKey) -> list[Any]:
        entries = self.node.modules.get(StakingModule).keeper.unbonding_entries(self.reader())
        return [e for e in entries if e.delegator == delegator.address]

    def query(self, path: str, arguments: dict[str, Any] | None = None) -> Any:
        return answer_json(self.node.query(path, *query_messages(path, arguments)))

    def query_error(self, path: str, arguments: dict[str, Any]) -> tuple[str, int, str]:
        request, _ = query_messages(path, arguments)
        response = self.node.app.query(
            abci.RequestQuery(path=path, data=request.SerializeToString())
        )
        return response.codespace, response.code, response.log

    def signing_info(self, consensus: PrivateKey) -> Any:
        return self.query(
            "/gpuchain.slashing.v1.Query/SigningInfo",
            {"consensus_address": consensus_address(consensus).hex()},
        )

    def block(
        self,
        txs: Sequence[bytes] = (),
        *,
        signed: Sequence[PrivateKey] = (),
        absent: Sequence[PrivateKey] = (),
        misbehavior: Sequence[abci.Misbehavior] = (),
    ) -> abci.ResponseFinalizeBlock:
        """Execute and commit one block whose last commit has `signed` signing and `absent`
        missing (powers as staking last reported them), carrying the given evidence."""
        node = self.node
        height = node.height + 1
        seconds = GENESIS_TIME_SECONDS + height * BLOCK_SECONDS
        votes = [
            abci.VoteInfo(
                validator=abci.Validator(
                    address=consensus_address(key), power=self.last_power(key)
                ),
                block_id_flag=flag,
            )
            for keys, flag in (
                (signed, validator_pb2.BLOCK_ID_FLAG_COMMIT),
                (absent, validator_pb2.BLOCK_ID_FLAG_ABSENT),
            )
            for key in keys
        ]
        result = node.app.finalize_block(
            abci.RequestFinalizeBlock(
                txs=list(txs),
                height=height,
                time=timestamp_pb2.Timestamp(seconds=seconds),
                decided_last_commit=abci.CommitInfo(round=0, votes=votes),
                misbehavior=list(misbehavior),
            )
        )
        node.app.commit()
        node.height = height
        node.app_hashes[height] = bytes(result.app_hash)
        return result

    def last_power(self, consensus: PrivateKey) -> int:
        """The validator's power in the set CometBFT last received (0 when out of it)."""
        staking = self.node.modules.get(StakingModule).keeper
        reader = self.reader()
        found = staking.validator_by_consensus_address(reader, consensus_address(consensus))
        power: int = staking.last_powers(reader).get(found.operator, 0) if found else 0
        return power

    def tx(self, signer: PrivateKey, *messages: Message) -> bytes:
        return self.node.sign(signer, list(messages))


def create_validator(
    operator: PrivateKey, consensus: PrivateKey, amount: int, minimum: int = 1
) -> staking_tx.MsgCreateValidator:
    return create_validator_msg(
        operator.address,
        consensus.public_key,
        Coin("ugpc", amount),
        staking_pb2.Description(moniker=operator.bech32_address[:12]),
        min_self_delegation=str(minimum),
    )


def unjail(operator: PrivateKey) -> slashing_tx.MsgUnjail:
    return unjail_msg(valoper(operator))


def double_sign(consensus: PrivateKey, height: int, power: int) -> abci.Misbehavior:
    return abci.Misbehavior(
        type=abci.DUPLICATE_VOTE,
        validator=abci.Validator(address=consensus_address(consensus), power=power),
        height=height,
        time=timestamp_pb2.Timestamp(seconds=GENESIS_TIME_SECONDS + height * BLOCK_SECONDS),
        total_voting_power=power,
    )


def power_updates(result: abci.ResponseFinalizeBlock) -> dict[bytes, int]:
    return {bytes(u.pub_key.ed25519): u.power for u in result.validator_updates}


def assert_failed(result: abci.ExecTxResult, code: int, *words: str) -> None:
    assert (result.codespace, result.code) == ("slashing", code), result.log
    for word in words:
        assert word in result.log, result.log


def slashing_state(net: Net) -> Any:
    return net.node.app.export_genesis()["slashing"]


def record_of(net: Net, consensus: PrivateKey) -> tuple[Any, Any]:
    """A validator's signing info and missed blocks, as genesis would export them."""
    address = consensus_address(consensus).hex().upper()
    state = slashing_state(net)
    info = next((i for i in state["signing_infos"] if i["address"] == address), None)
    missed = [m for m in state["missed_blocks"] if m["address"] == address]
    return info, missed


def new_node(
    home: Path,
    slashing: dict[str, Any] | None = None,
    staking: dict[str, str] | None = None,
    evidence: EvidenceParams | None = None,
) -> TestNode:
    state = genesis_state(
        {
            ALICE.bech32_address: "1000000000ugpc",
            BOB.bech32_address: "1000000000ugpc",
            CAROL.bech32_address: "1000000000ugpc",
            DAVE.bech32_address: "1000000000ugpc",
        }
    )
    state["slashing"] = slashing or {"params": SLASHING_PARAMS}
    state["staking"]["params"].update(staking or {})
    # No inflation: supply then moves only by what slashing burns, to the last ugpc.
    state["distribution"]["params"]["inflation_rate"] = "0"
    node = TestNode(home)
    try:
        node.init_chain(state, evidence=evidence)
    except Exception:
        node.close()
        raise
    node.block()  # genesis is committed with the first block
    return node


def bond_alice_and_bob(net: Net) -> None:
    """Alice (100 power) and Bob (50 power) create their validators and bond at once."""
    result = net.block(
        [
            net.tx(ALICE, create_validator(ALICE, ALICE_CONSENSUS, 100_000_000)),
            net.tx(BOB, create_validator(BOB, BOB_CONSENSUS, 50_000_000)),
        ]
    )
    assert [r.code for r in result.tx_results] == [0, 0], [r.log for r in result.tx_results]
    assert power_updates(result) == {
        ALICE_CONSENSUS.public_key: 100,
        BOB_CONSENSUS.public_key: 50,
    }


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Net]:
    """Alice (100 power) and Bob (50 power) bonded; Alice signs every block below."""
    node = new_node(tmp_path / "node")
    net = Net(node)
    bond_alice_and_bob(net)
    yield net
    node.close()


def jail_bob_for_downtime(net: Net) -> tuple[int, abci.ResponseFinalizeBlock]:
    """Bob misses every block from his first vote on; returns the jailing height and block.

    His window starts when he bonded (the block before his first vote); missing more than
    MAX_MISSED jails him only once a whole window lies behind that start (height > start +
    window), as in Cosmos.
    """
    tokens = net.tokens(BOB)
    start = int(net.signing_info(BOB_CONSENSUS)["start_height"])
    assert net.node.height == start
    while net.node.height < start + WINDOW:
        net.block(signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
        assert not net.validator(BOB).jailed and net.tokens(BOB) == tokens
    assert net.signing_info(BOB_CONSENSUS)["missed_blocks_counter"] == str(WINDOW)
    result = net.block(signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
    assert net.node.height == start + WINDOW + 1
    assert net.validator(BOB).jailed
    return net.node.height, result


def test_validator_missing_too_many_blocks_is_slashed_jailed_and_leaves_the_set(net: Net) -> None:
    tokens, supply = net.tokens(BOB), net.supply()
    height, result = jail_bob_for_downtime(net)

    burned = 50 * POWER_REDUCTION * DOWNTIME_FRACTION // FRACTION_ONE
    assert burned == 500_000
    assert net.validator(BOB).jailed
    assert net.tokens(BOB) == tokens - burned
    assert net.supply() == supply - burned
    assert power_updates(result) == {BOB_CONSENSUS.public_key: 0}
    assert net.validator(ALICE).tokens == 100_000_000 and not net.validator(ALICE).jailed

    events = [(e.type, {a.key: a.value for a in e.attributes}) for e in result.events]
    slash = next(a for t, a in events if t == "slash" and "reason" in a)
    assert slash["reason"] == "missing_signature" and slash["burned"] == str(burned)
    assert slash["address"] == consensus_address(BOB_CONSENSUS).hex().upper()
    jail = next(a for t, a in events if t == "jail")
    assert jail["jailed_until"] == str(height + JAIL_BLOCKS)
    assert any(t == "liveness" for t, _ in events)

    info = net.signing_info(BOB_CONSENSUS)
    assert info["jailed_until"] == str(height + JAIL_BLOCKS)
    assert info["missed_blocks_counter"] == "0" and info["index_offset"] == "0"
    assert not info["tombstoned"]
    assert slashing_state(net)["missed_blocks"] == []


def test_jailed_validator_unjails_only_when_its_jail_ends_and_reenters_the_set(net: Net) -> None:
    height, _ = jail_bob_for_downtime(net)
    until = height + JAIL_BLOCKS
    # Still in the last commit for a block or two: a jailed validator's votes don't count.
    result = net.block([net.tx(BOB, unjail(BOB))], signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
    assert_failed(result.tx_results[0], 4, f"jailed until height {until}")
    before = record_of(net, BOB_CONSENSUS)
    while net.node.height < until - 2:
        net.block(signed=[ALICE_CONSENSUS])
    result = net.block([net.tx(BOB, unjail(BOB))], signed=[ALICE_CONSENSUS])
    assert net.node.height == until - 1
    assert_failed(result.tx_results[0], 4, "still jailed")
    assert net.validator(BOB).jailed
    assert record_of(net, BOB_CONSENSUS) == before
    assert power_updates(result) == {}

    result = net.block([net.tx(BOB, unjail(BOB))], signed=[ALICE_CONSENSUS])
    assert net.node.height == until
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    assert not net.validator(BOB).jailed
    assert power_updates(result) == {BOB_CONSENSUS.public_key: 49}
    # A fresh grace window from the unjail, as Cosmos restarts it when a validator re-bonds.
    assert net.signing_info(BOB_CONSENSUS)["start_height"] == str(until)

    for _ in range(2 * WINDOW):
        net.block(signed=[ALICE_CONSENSUS, BOB_CONSENSUS])
    assert not net.validator(BOB).jailed
    assert net.signing_info(BOB_CONSENSUS)["missed_blocks_counter"] == "0"


def test_signed_blocks_slide_missed_ones_out_of_the_window(net: Net) -> None:
    """Missing exactly the allowed number over and over never jails."""
    for round_ in range(4):
        for slot in range(WINDOW):
            if slot < MAX_MISSED:
                net.block(signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
            else:
                net.block(signed=[ALICE_CONSENSUS, BOB_CONSENSUS])
        info = net.signing_info(BOB_CONSENSUS)
        assert info["missed_blocks_counter"] == str(MAX_MISSED), round_
    # Missing slots already missed keeps the count; the first newly missed one jails.
    for _ in range(MAX_MISSED):
        net.block(signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
        assert not net.validator(BOB).jailed
    net.block(signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
    assert net.validator(BOB).jailed


def test_double_sign_slashes_unbondings_since_the_infraction_and_tombstones(net: Net) -> None:
    """Stake that left in the block before the infraction still signed it (CometBFT applies
    a set one block late), so its unbonding is slashed too; older unbondings are not."""
    result = net.block([net.tx(CAROL, delegate(CAROL, ALICE, 10_000_000))])
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    net.block([net.tx(CAROL, undelegate(CAROL, ALICE, 4_000_000))], signed=[ALICE_CONSENSUS])
    net.block(signed=[ALICE_CONSENSUS])
    power = net.last_power(ALICE_CONSENSUS)  # the set chosen now signs two blocks on
    assert power == 106
    net.block([net.tx(CAROL, undelegate(CAROL, ALICE, 2_000_000))], signed=[ALICE_CONSENSUS])
    net.block(signed=[ALICE_CONSENSUS])
    infraction = net.node.height
    net.block([net.tx(CAROL, undelegate(CAROL, ALICE, 3_000_000))], signed=[ALICE_CONSENSUS])
    before_entries = {e.creation_height: e for e in net.unbondings(CAROL)}
    assert sorted(before_entries) == [infraction - 3, infraction - 1, infraction + 1]
    tokens, supply = net.tokens(ALICE), net.supply()
    assert tokens == 101_000_000

    result = net.block(
        signed=[ALICE_CONSENSUS, BOB_CONSENSUS],
        misbehavior=[double_sign(ALICE_CONSENSUS, infraction, power)],
    )

    total = power * POWER_REDUCTION * DOUBLE_SIGN_FRACTION // FRACTION_ONE
    from_entries = 5_000_000 * DOUBLE_SIGN_FRACTION // FRACTION_ONE
    assert (total, from_entries) == (5_300_000, 250_000)
    entries = {e.creation_height: e for e in net.unbondings(CAROL)}
    assert entries[infraction - 3].balance == 4_000_000  # left before that set: untouched
    assert entries[infraction - 1].balance == 2_000_000 - 100_000
    assert entries[infraction + 1].balance == 3_000_000 - 150_000
    assert net.tokens(ALICE) == tokens - (total - from_entries)
    # Delegations shrink with the validator's tokens: 101M bonded became 95.95M (95%).
    assert net.bonded(CAROL, ALICE) == 1_000_000 * 95 // 100
    assert net.bonded(ALICE, ALICE) == 100_000_000 * 95 // 100
    assert net.supply() == supply - total
    assert net.validator(ALICE).jailed
    assert power_updates(result) == {ALICE_CONSENSUS.public_key: 0}
    info = net.signing_info(ALICE_CONSENSUS)
    assert info["tombstoned"] is True
    reasons = [{a.key: a.value for a in e.attributes}.get("reason") for e in result.events]
    assert "double_sign" in reasons

    # The same evidence again (or any later) changes nothing: the validator is tombstoned.
    state, tokens = record_of(net, ALICE_CONSENSUS), net.tokens(ALICE)
    net.block(signed=[BOB_CONSENSUS], misbehavior=[double_sign(ALICE_CONSENSUS, infraction, power)])
    assert net.tokens(ALICE) == tokens and record_of(net, ALICE_CONSENSUS) == state

    for _ in range(3):
        net.block(signed=[BOB_CONSENSUS])
    result = net.block([net.tx(ALICE, unjail(ALICE))], signed=[BOB_CONSENSUS])
    assert_failed(result.tx_results[0], 9, "tombstoned")
    assert net.validator(ALICE).jailed and record_of(net, ALICE_CONSENSUS) == state


def test_redelegating_after_an_infraction_does_not_escape_the_slash(net: Net) -> None:
    """Stake moved from Alice to Bob after Alice double-signed is slashed at Bob, by the
    fraction of what was moved, and counts toward Alice's slash (Cosmos's SlashRedelegation)."""
    assert net.block([net.tx(CAROL, delegate(CAROL, ALICE, 10_000_000))]).tx_results[0].code == 0
    net.block(signed=[ALICE_CONSENSUS, BOB_CONSENSUS])
    power = net.last_power(ALICE_CONSENSUS)
    assert power == 110
    net.block(signed=[ALICE_CONSENSUS, BOB_CONSENSUS])
    infraction = net.node.height
    result = net.block([net.tx(CAROL, redelegate(CAROL, ALICE, BOB, 10_000_000))])
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    assert net.bonded(CAROL, BOB) == 10_000_000 and net.bonded(CAROL, ALICE) == 0
    moved = net.query(
        "/gpuchain.staking.v1.Query/Redelegations", {"delegator": CAROL.bech32_address}
    )
    assert [e["creation_height"] for e in moved["entries"]] == [str(infraction + 1)]
    supply, bob_tokens = net.supply(), net.tokens(BOB)

    net.block(misbehavior=[double_sign(ALICE_CONSENSUS, infraction, power)])

    total = power * POWER_REDUCTION * DOUBLE_SIGN_FRACTION // FRACTION_ONE
    from_moved = 10_000_000 * DOUBLE_SIGN_FRACTION // FRACTION_ONE
    assert (total, from_moved) == (5_500_000, 500_000)
    assert net.bonded(CAROL, BOB) == 10_000_000 - from_moved
    assert net.tokens(BOB) == bob_tokens - from_moved
    assert net.tokens(ALICE) == 100_000_000 - (total - from_moved)
    assert net.supply() == supply - total
    assert not net.validator(BOB).jailed


def test_redelegations_made_before_the_set_that_double_signed_are_not_slashed(net: Net) -> None:
    assert net.block([net.tx(CAROL, delegate(CAROL, ALICE, 10_000_000))]).tx_results[0].code == 0
    assert (
        net.block([net.tx(CAROL, redelegate(CAROL, ALICE, BOB, 10_000_000))]).tx_results[0].code
        == 0
    )
    net.block()
    infraction = net.node.height + 1  # the redelegation is two blocks before it
    net.block()
    net.block(misbehavior=[double_sign(ALICE_CONSENSUS, infraction, 100)])
    assert net.bonded(CAROL, BOB) == 10_000_000
    assert net.tokens(ALICE) == 100_000_000 * 95 // 100


@pytest.mark.parametrize(
    ("max_age_blocks", "max_age_seconds", "slashed"),
    [
        (100, 100, False),  # older than both: stale
        (100, 200, True),  # older in blocks only: CometBFT and Cosmos still act on it
        (103, 50, True),  # older in time only
    ],
)
def test_evidence_older_than_the_max_age_in_blocks_and_time_is_ignored(
    tmp_path: Path, max_age_blocks: int, max_age_seconds: int, slashed: bool
) -> None:
    evidence = EvidenceParams(max_age_blocks, max_age_seconds * 1_000_000_000)
    net = Net(new_node(tmp_path / "node", staking={"unbonding_blocks": "200"}, evidence=evidence))
    bond_alice_and_bob(net)
    infraction = net.node.height
    while net.node.height < infraction + 102:
        net.block()
    tokens, supply = net.tokens(BOB), net.supply()
    net.block(misbehavior=[double_sign(BOB_CONSENSUS, infraction, 50)])
    assert net.node.height - infraction == 103
    burned = 50 * POWER_REDUCTION * DOUBLE_SIGN_FRACTION // FRACTION_ONE
    assert net.tokens(BOB) == (tokens - burned if slashed else tokens)
    assert net.supply() == (supply - burned if slashed else supply)
    assert net.validator(BOB).jailed is slashed
    net.node.close()


def outrank_bob(net: Net) -> int:
    """Dave bonds with more power than Bob in a two-validator set; returns the height Bob
    left the set at."""
    result = net.block([net.tx(DAVE, create_validator(DAVE, DAVE_CONSENSUS, 60_000_000))])
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    assert power_updates(result) == {DAVE_CONSENSUS.public_key: 60, BOB_CONSENSUS.public_key: 0}
    return net.node.height


@pytest.fixture
def two_seats(tmp_path: Path) -> Iterator[Net]:
    """Like `net`, but only the two strongest validators are in the set."""
    node = new_node(tmp_path / "node", staking={"max_validators": "2", "unbonding_blocks": "20"})
    net = Net(node)
    bond_alice_and_bob(net)
    yield net
    node.close()


def test_an_outranked_validator_brought_back_is_not_jailed_for_old_misses(two_seats: Net) -> None:
    net = two_seats
    for _ in range(WINDOW):
        net.block(signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
        net.block(signed=[ALICE_CONSENSUS, BOB_CONSENSUS])
    assert net.signing_info(BOB_CONSENSUS)["missed_blocks_counter"] == str(MAX_MISSED)
    outrank_bob(net)
    net.block(signed=[ALICE_CONSENSUS, BOB_CONSENSUS])  # Bob still signs the next block
    assert net.validator(BOB).status.name == "UNBONDING"

    result = net.block([net.tx(CAROL, delegate(CAROL, BOB, 20_000_000))])
    assert power_updates(result) == {BOB_CONSENSUS.public_key: 70, DAVE_CONSENSUS.public_key: 0}
    returned = net.node.height
    assert net.validator(BOB).status.name == "BONDED"
    info = net.signing_info(BOB_CONSENSUS)
    assert (info["start_height"], info["missed_blocks_counter"]) == (str(returned), "0")

    # A whole window later, one more miss is one miss, not one too many.
    while net.node.height <= returned + WINDOW:
        net.block(signed=[ALICE_CONSENSUS, BOB_CONSENSUS])
    net.block(signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
    assert not net.validator(BOB).jailed
    assert net.signing_info(BOB_CONSENSUS)["missed_blocks_counter"] == "1"


def test_an_unbonding_validator_is_slashable_until_it_is_unbonded(two_seats: Net) -> None:
    net = two_seats
    left = outrank_bob(net)
    assert net.validator(BOB).status.name == "UNBONDING"
    net.block(misbehavior=[double_sign(BOB_CONSENSUS, left - 1, 50)])
    burned = 50 * POWER_REDUCTION * DOUBLE_SIGN_FRACTION // FRACTION_ONE
    assert net.tokens(BOB) == 50_000_000 - burned
    assert net.signing_info(BOB_CONSENSUS)["tombstoned"] is True

    while net.node.height < left + 19:
        net.block()
        assert net.validator(BOB).status.name == "UNBONDING"
    net.block()  # the unbonding period (20 blocks) ends
    assert net.validator(BOB).status.name == "UNBONDED"


def test_evidence_against_an_unbonded_validator_is_ignored(two_seats: Net) -> None:
    net = two_seats
    left = outrank_bob(net)
    while net.validator(BOB).status.name != "UNBONDED":
        assert net.node.height <= left + 20
        net.block()
    tokens, supply, state = net.tokens(BOB), net.supply(), slashing_state(net)
    net.block(misbehavior=[double_sign(BOB_CONSENSUS, left, 50)])
    assert (net.tokens(BOB), net.supply()) == (tokens, supply)
    assert slashing_state(net) == state and not net.validator(BOB).jailed


def test_stake_in_transit_and_unbonding_validators_round_trip_through_genesis(
    two_seats: Net, tmp_path: Path
) -> None:
    net = two_seats
    assert net.block([net.tx(CAROL, delegate(CAROL, ALICE, 10_000_000))]).tx_results[0].code == 0
    left = outrank_bob(net)
    result = net.block(
        [
            net.tx(CAROL, redelegate(CAROL, ALICE, DAVE, 4_000_000)),
            net.tx(ALICE, undelegate(ALICE, ALICE, 1_000_000)),
        ]
    )
    assert [r.code for r in result.tx_results] == [0, 0], [r.log for r in result.tx_results]
    exported = net.node.app.export_genesis()
    assert exported["staking"]["redelegation_entries"] and exported["staking"]["unbonding_entries"]

    copy = Net(TestNode(tmp_path / "copy"))
    try:
        copy.node.init_chain(exported)
        copy.node.block()
        net.block()
        assert copy.node.app.export_genesis() == net.node.app.export_genesis()
        # Both go on to the same heights: Bob's period ends at left + 20, the redelegation's
        # (made one block later) at left + 21.
        for chain in (net, copy):
            while chain.node.height < left + 21:
                chain.block()
            assert chain.validator(BOB).status.name == "UNBONDED"
            assert (
                chain.node.modules.get(StakingModule).keeper.redelegation_entries(chain.reader())
                == []
            )
        assert copy.node.app.export_genesis() == net.node.app.export_genesis()
    finally:
        copy.node.close()


def test_evidence_against_an_unknown_validator_is_ignored(net: Net) -> None:
    supply, state = net.supply(), slashing_state(net)
    net.block(misbehavior=[double_sign(DAVE_CONSENSUS, net.node.height, 10)])
    assert net.supply() == supply and slashing_state(net) == state


def test_light_client_attack_is_punished_like_a_double_sign(net: Net) -> None:
    evidence = double_sign(BOB_CONSENSUS, net.node.height, 50)
    evidence.type = abci.LIGHT_CLIENT_ATTACK
    tokens = net.tokens(BOB)
    net.block(misbehavior=[evidence])
    assert net.tokens(BOB) == tokens - 50 * POWER_REDUCTION * DOUBLE_SIGN_FRACTION // FRACTION_ONE
    assert net.validator(BOB).jailed and net.signing_info(BOB_CONSENSUS)["tombstoned"] is True


def test_unjail_when_not_jailed_fails_and_changes_nothing(net: Net) -> None:
    net.block(signed=[ALICE_CONSENSUS, BOB_CONSENSUS])
    before = (slashing_state(net), net.validator(ALICE))
    result = net.block([net.tx(ALICE, unjail(ALICE))])
    assert_failed(result.tx_results[0], 5, "not jailed", valoper(ALICE))
    assert (slashing_state(net), net.validator(ALICE)) == before


def test_unjail_of_an_unknown_validator_fails(net: Net) -> None:
    result = net.block([net.tx(CAROL, unjail(CAROL))])
    assert_failed(result.tx_results[0], 2, valoper(CAROL))


def test_unjail_naming_an_account_address_is_refused_before_any_state_is_read(net: Net) -> None:
    raw = net.tx(ALICE, unjail_msg(ALICE.bech32_address))
    response = net.node.check(raw)
    assert (response.codespace, response.code) == ("sdk", 7), response.log
    assert "validator_addr" in response.log


def test_unjail_without_any_self_delegation_fails(net: Net) -> None:
    net.block([net.tx(DAVE, create_validator(DAVE, DAVE_CONSENSUS, 10_000_000))])
    net.block([net.tx(CAROL, delegate(CAROL, DAVE, 5_000_000))])
    net.block([net.tx(DAVE, undelegate(DAVE, DAVE, 10_000_000))])
    assert net.validator(DAVE).jailed  # below its minimum of 1: staking jails it
    result = net.block([net.tx(DAVE, unjail(DAVE))])
    assert_failed(result.tx_results[0], 6, valoper(DAVE))
    assert net.validator(DAVE).jailed


def test_unjail_needs_the_minimum_self_delegation(net: Net) -> None:
    result = net.block(
        [net.tx(DAVE, create_validator(DAVE, DAVE_CONSENSUS, 10_000_000, 5_000_000))]
    )
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    # Below its own minimum, staking jails it at once.
    net.block([net.tx(DAVE, undelegate(DAVE, DAVE, 6_000_000))], signed=[DAVE_CONSENSUS])
    assert net.validator(DAVE).jailed
    result = net.block([net.tx(DAVE, unjail(DAVE))])
    assert_failed(result.tx_results[0], 7, "4000000", "5000000")
    assert net.validator(DAVE).jailed
    net.block([net.tx(DAVE, delegate(DAVE, DAVE, 2_000_000))])
    result = net.block([net.tx(DAVE, unjail(DAVE))])
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    assert not net.validator(DAVE).jailed
    assert power_updates(result) == {DAVE_CONSENSUS.public_key: 6}


def test_params_are_queryable_and_round_trip_through_genesis(net: Net, tmp_path: Path) -> None:
    assert net.query("/gpuchain.slashing.v1.Query/Params") == {
        "signed_blocks_window": "10",
        "min_signed_per_window": "0.500000000000000000",
        "downtime_jail_blocks": "5",
        "slash_fraction_double_sign": "0.050000000000000000",
        "slash_fraction_downtime": "0.010000000000000000",
    }
    for _ in range(3):
        net.block(signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
    net.block(signed=[ALICE_CONSENSUS, BOB_CONSENSUS])
    exported = net.node.app.export_genesis()
    slashing = exported["slashing"]
    assert slashing["params"] == net.query("/gpuchain.slashing.v1.Query/Params")
    bob = consensus_address(BOB_CONSENSUS).hex().upper()
    assert slashing["missed_blocks"] == [
        {"address": bob, "missed_blocks": [{"index": str(i), "missed": True} for i in range(3)]}
    ]
    infos = {i["address"]: i for i in slashing["signing_infos"]}
    assert infos[bob]["missed_blocks_counter"] == "3" and infos[bob]["index_offset"] == "4"

    copy = TestNode(tmp_path / "copy")
    try:
        copy.init_chain(exported)
        copy.block()
        assert copy.app.export_genesis() == exported
        # Bob's window goes on where it left off.
        assert Net(copy).signing_info(BOB_CONSENSUS) == net.signing_info(BOB_CONSENSUS)
    finally:
        copy.close()


def test_signing_info_queries(net: Net) -> None:
    net.block(signed=[ALICE_CONSENSUS], absent=[BOB_CONSENSUS])
    by_validator = net.query("/gpuchain.slashing.v1.Query/SigningInfo", {"validator": valoper(BOB)})
    assert by_validator == net.signing_info(BOB_CONSENSUS)
    assert by_validator["missed_blocks_counter"] == "1"
    everyone = net.query("/gpuchain.slashing.v1.Query/SigningInfos")["signing_infos"]
    assert {i["address"] for i in everyone} == {
        consensus_address(ALICE_CONSENSUS).hex().upper(),
        consensus_address(BOB_CONSENSUS).hex().upper(),
    }
    codespace, code, log = net.query_error(
        "/gpuchain.slashing.v1.Query/SigningInfo",
        {"consensus_address": consensus_address(DAVE_CONSENSUS).hex()},
    )
    assert (codespace, code) == ("slashing", 8), log
    codespace, code, _ = net.query_error(
        "/gpuchain.slashing.v1.Query/SigningInfo", {"validator": valoper(DAVE)}
    )
    assert (codespace, code) == ("slashing", 2)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("min_signed_per_window", "1.5", "above 1"),
        ("slash_fraction_downtime", "-0.1", "not a decimal"),
        ("signed_blocks_window", "0", "must be positive"),
        ("downtime_jail_blocks", "ten", "not an integer"),
    ],
)
def test_bad_params_are_refused_at_genesis(
    tmp_path: Path, field: str, value: str, words: str
) -> None:
    with pytest.raises(AppError) as raised:
        new_node(tmp_path / "bad", {"params": {**SLASHING_PARAMS, field: value}})
    assert raised.value.kind.codespace == "slashing"
    assert field in raised.value.log and words in raised.value.log


def test_same_blocks_give_the_same_app_hashes(tmp_path: Path) -> None:
    """Jailing, slashing, tombstoning and unjailing are deterministic."""
    hashes = []
    for name in ("one", "two"):
        net = Net(new_node(tmp_path / name))
        net.block(
            [
                net.tx(ALICE, create_validator(ALICE, ALICE_CONSENSUS, 100_000_000)),
                net.tx(BOB, create_validator(BOB, BOB_CONSENSUS, 50_000_000)),
            ]
        )
        height, _ = jail_bob_for_downtime(net)
        net.block(misbehavior=[double_sign(ALICE_CONSENSUS, height - 1, 100)])
        while net.node.height < height + JAIL_BLOCKS:
            net.block()
        assert net.block([net.tx(BOB, unjail(BOB))]).tx_results[0].code == 0
        hashes.append(net.node.app_hashes)
        net.node.close()
    assert hashes[0] == hashes[1]
