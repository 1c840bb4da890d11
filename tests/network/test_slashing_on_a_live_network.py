"""Slashing through real consensus: a validator kept down past the liveness window is jailed
and slashed by exactly the downtime fraction, unjails after its jail and signs again; a
validator whose key signs two conflicting votes is slashed, tombstoned and leaves the set
once CometBFT has verified the evidence and put it in a block."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import pytest
from network_helpers import CHAIN_ID, Network, Node

from chain.abci_server import encode_frame
from chain.crypto import PrivateKey, encode_validator_address
from chain.pb.tendermint.types import canonical_pb2, types_pb2
from x.slashing.msgs import unjail_msg

WINDOW = 10
JAIL_BLOCKS = 10
STAKE = 1_000_000_000  # chain.home.VALIDATOR_STAKE: power 1000
DOWNTIME_FRACTION_PERCENT = 1
DOUBLE_SIGN_FRACTION_PERCENT = 5
STAKING = "/cosmos.staking.v1beta1.Query/"
SLASHING = "/gpuchain.slashing.v1.Query/"


def small_windows(app_state: dict[str, Any]) -> None:
    app_state["slashing"]["params"] = {
        "signed_blocks_window": str(WINDOW),
        "min_signed_per_window": "0.5",
        "downtime_jail_blocks": str(JAIL_BLOCKS),
        "slash_fraction_downtime": f"0.0{DOWNTIME_FRACTION_PERCENT}",
        "slash_fraction_double_sign": f"0.0{DOUBLE_SIGN_FRACTION_PERCENT}",
    }


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    net = Network.create(tmp_path_factory.mktemp("slashing") / "net", app_state=small_windows)
    try:
        net.start()
        net.wait_for_height(3)
        yield net
    finally:
        net.stop_all()


def operator_of(node: Node) -> PrivateKey:
    key: PrivateKey = node.key(node.name)  # make_testnet names it after the validator
    return key


def validator_state(network: Network, node: Node) -> dict[str, Any]:
    operator = encode_validator_address(operator_of(node).address)
    answer: dict[str, Any] = network.query(STAKING + "Validator", {"validator_addr": operator})
    return answer


def signing_info(network: Network, node: Node) -> dict[str, Any]:
    answer: dict[str, Any] = network.query(
        SLASHING + "SigningInfo", {"consensus_address": node.consensus_address.lower()}
    )
    return answer


def test_a_validator_down_past_the_window_is_jailed_and_slashed_exactly(network: Network) -> None:
    offline = network.node("validator3")
    assert validator_state(network, offline)["tokens"] == str(STAKE)
    offline.stop()
    jailed = network.wait_until(
        lambda: validator_state(network, offline)["jailed"] and validator_state(network, offline),
        timeout=60,
        what="validator3 jailed",
    )
    assert int(jailed["tokens"]) == STAKE - STAKE * DOWNTIME_FRACTION_PERCENT // 100
    info = signing_info(network, offline)
    assert int(info["jailed_until"]) > 0
    assert info["tombstoned"] is False
    network.wait_until(
        lambda: offline.consensus_address not in network.validator_powers(),
        timeout=20,
        what="validator3 out of /validators",
    )


def test_the_jailed_validator_unjails_after_its_jail_and_signs_again(network: Network) -> None:
    offline = network.node("validator3")
    jailed_until = int(signing_info(network, offline)["jailed_until"])
    offline.start()
    network.wait_for_height(jailed_until)
    operator = operator_of(offline)
    network.send(
        operator,
        [unjail_msg(encode_validator_address(operator.address))],
    )
    powers = network.wait_until(
        lambda: (
            offline.consensus_address in network.validator_powers() and network.validator_powers()
        ),
        timeout=30,
        what="validator3 back in /validators",
    )
    assert powers[offline.consensus_address] == (STAKE - STAKE // 100) // 1_000_000
    state = validator_state(network, offline)
    assert (state["jailed"], state["status"]) == (False, "BOND_STATUS_BONDED")

    network.wait_for_commit_signatures(offline, count=3, after=network.height())


# --- double signing ------------------------------------------------------------------------


def _timestamp(rfc3339: str) -> tuple[int, int]:
    """(seconds, nanos) of CometBFT's RFC 3339 time with up to 9 fractional digits."""
    from datetime import datetime

    whole, _, rest = rfc3339.rstrip("Z").partition(".")
    seconds = int(datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp())
    return seconds, int(rest.ljust(9, "0")) if rest else 0


def vote_sign_bytes(
    height: int, block_hash: bytes, parts_hash: bytes, time: str, chain_id: str
) -> bytes:
    """CometBFT's VoteSignBytes for a round-0 prevote: a length-prefixed CanonicalVote."""
    seconds, nanos = _timestamp(time)
    canonical = canonical_pb2.CanonicalVote(
        type=types_pb2.SIGNED_MSG_TYPE_PREVOTE,
        height=height,
        round=0,
        block_id=canonical_pb2.CanonicalBlockID(
            hash=block_hash,
            part_set_header=canonical_pb2.CanonicalPartSetHeader(total=1, hash=parts_hash),
        ),
        chain_id=chain_id,
    )
    canonical.timestamp.seconds = seconds
    canonical.timestamp.nanos = nanos
    return encode_frame(canonical)  # length-delimited, as CometBFT signs votes


def duplicate_vote_evidence(network: Network, node: Node, height: int) -> dict[str, Any]:
    """Two prevotes by node's consensus key for two different blocks at height, round 0,
    as the JSON `broadcast_evidence` takes (CometBFT's amino-style JSON of the type)."""
    time = network.rpc.block(height)["block"]["header"]["time"]
    result = network.rpc.call("validators", height=str(height), per_page="100")
    validators = result["validators"]
    index = next(i for i, v in enumerate(validators) if v["address"] == node.consensus_address)
    total = sum(int(v["voting_power"]) for v in validators)
    key = node.consensus_key
    votes = []
    for _ in range(2):
        block_hash, parts_hash = os.urandom(32), os.urandom(32)
        signature = key.sign(vote_sign_bytes(height, block_hash, parts_hash, time, CHAIN_ID))
        votes.append(
            {
                "type": types_pb2.SIGNED_MSG_TYPE_PREVOTE,
                "height": str(height),
                "round": 0,
                "block_id": {
                    "hash": block_hash.hex().upper(),
                    "parts": {"total": 1, "hash": parts_hash.hex().upper()},
                },
                "timestamp": time,
                "validator_address": node.consensus_address,
                "validator_index": index,
                "signature": base64.b64encode(signature).decode(),
                "extension": None,
                "extension_signature": None,
            }
        )
    # CometBFT wants vote A to be the one with the smaller block id (hash first).
    votes.sort(key=lambda v: bytes.fromhex(v["block_id"]["hash"]))
    return {
        "type": "tendermint/DuplicateVoteEvidence",
        "value": {
            "vote_a": votes[0],
            "vote_b": votes[1],
            "TotalVotingPower": str(total),
            "ValidatorPower": validators[index]["voting_power"],
            "Timestamp": time,
        },
    }


def test_conflicting_votes_as_evidence_slash_tombstone_and_remove_the_signer(
    network: Network,
) -> None:
    cheater = network.node("validator2")
    assert validator_state(network, cheater)["tokens"] == str(STAKE)
    height = network.height() - 1
    submitted_at = network.height()
    answer = network.rpc.call(
        "broadcast_evidence", evidence=duplicate_vote_evidence(network, cheater, height)
    )
    assert answer["hash"]

    info = network.wait_until(
        lambda: signing_info(network, cheater)["tombstoned"] and signing_info(network, cheater),
        timeout=30,
        what="validator2 tombstoned",
    )
    assert int(info["jailed_until"]) == 2**63 - 1
    state = validator_state(network, cheater)
    assert state["jailed"] is True
    assert int(state["tokens"]) == STAKE - STAKE * DOUBLE_SIGN_FRACTION_PERCENT // 100
    network.wait_until(
        lambda: cheater.consensus_address not in network.validator_powers(),
        timeout=20,
        what="validator2 out of /validators",
    )
    evidence = [
        item
        for h in range(submitted_at, network.height() + 1)
        for item in network.rpc.block(h)["block"]["evidence"]["evidence"]
    ]
    assert len(evidence) == 1
    assert evidence[0]["value"]["vote_a"]["validator_address"] == cheater.consensus_address
    assert evidence[0]["value"]["vote_a"]["height"] == str(height)
    # The chain goes on with the other three.
    network.wait_for_height(network.height() + 3, nodes=[network.nodes[0]])
