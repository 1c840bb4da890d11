"""Staking through real consensus: a fifth node syncs, bonds itself by transaction and votes;
undelegated tokens come back exactly at the end of the unbonding period, not before."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from network_helpers import Network, commit_signers

from chain.coins import Coin
from chain.crypto import encode_validator_address
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.rpc import RpcError
from x.staking.msgs import create_validator_msg, delegate_msg, undelegate_msg

UNBONDING_BLOCKS = 10
NEW_VALIDATOR_STAKE = 500_000_000  # power 500 (1 power per 10^6 ugpc)
STAKING = "/cosmos.staking.v1beta1.Query/"
GPUCHAIN_STAKING = "/gpuchain.staking.v1.Query/"


def short_unbonding(app_state: dict[str, Any]) -> None:
    app_state["staking"]["params"]["unbonding_blocks"] = str(UNBONDING_BLOCKS)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    net = Network.create(tmp_path_factory.mktemp("staking") / "net", app_state=short_unbonding)
    try:
        net.start()
        net.wait_for_height(3)
        yield net
    finally:
        net.stop_all()


def test_a_fifth_node_catches_up_by_block_sync(network: Network) -> None:
    network.wait_for_height(10)
    newcomer = network.add_full_node("validator4")
    newcomer.start()
    target = network.height()
    newcomer.wait_for_height(target, timeout=60)
    status = network.wait_until(
        lambda: not newcomer.rpc.status()["sync_info"]["catching_up"],
        what="validator4 caught up",
    )
    assert status
    assert newcomer.rpc.block(target)["block_id"] == network.rpc.block(target)["block_id"]
    assert newcomer.consensus_address not in network.validator_powers()


def test_the_fifth_node_bonds_by_transaction_and_its_votes_count(network: Network) -> None:
    newcomer = network.node("validator4")
    operator = network.node("validator0").key("alice")
    message = create_validator_msg(
        operator.address,
        newcomer.consensus_key.public_key,
        Coin("ugpc", NEW_VALIDATOR_STAKE),
        staking_pb2.Description(moniker="validator4"),
    )
    included = int(network.send(operator, [message])["height"])

    powers = network.wait_until(
        lambda: (
            newcomer.consensus_address in network.validator_powers() and network.validator_powers()
        ),
        timeout=30,
        what="validator4 in /validators",
    )
    assert powers[newcomer.consensus_address] == NEW_VALIDATOR_STAKE // 1_000_000
    assert len(powers) == 5
    answer = network.query(
        STAKING + "Validator", {"validator_addr": encode_validator_address(operator.address)}
    )
    assert (answer["status"], answer["tokens"]) == ("BOND_STATUS_BONDED", str(NEW_VALIDATOR_STAKE))

    # Its precommits land in later blocks' last commits with BLOCK_ID_FLAG_COMMIT.
    network.wait_for_commit_signatures(newcomer, count=3, after=network.height())
    # Nothing of its before it bonded: CometBFT applies a change two blocks later.
    assert newcomer.consensus_address not in commit_signers(network.rpc, included)


def test_undelegated_tokens_return_exactly_at_the_end_of_unbonding(network: Network) -> None:
    bob = network.node("validator0").key("bob")
    validators = network.query(STAKING + "Validators")["validators"]
    target = next(v for v in validators if v["description"]["moniker"] == "validator1")[
        "operator_address"
    ]
    network.send(bob, [delegate_msg(bob.bech32_address, target, Coin("ugpc", 100_000_000))])
    amount = 40_000_000
    network.send(bob, [undelegate_msg(bob.bech32_address, target, Coin("ugpc", amount))])
    entries = network.query(GPUCHAIN_STAKING + "Unbonding", {"delegator": bob.bech32_address})[
        "entries"
    ]
    assert len(entries) == 1
    completion = int(entries[0]["completion_height"])
    assert completion == int(entries[0]["creation_height"]) + UNBONDING_BLOCKS
    assert entries[0]["balance"] == str(amount)

    seen: dict[int, int] = {}
    deadline = time.monotonic() + 60
    while not seen or max(seen) < completion + 1:
        assert time.monotonic() < deadline, f"height {completion + 1} not seen within 60s: {seen}"
        with contextlib.suppress(RpcError):
            height, balance = network.balance(bob.bech32_address)
            seen[height] = balance
        time.sleep(0.05)
    assert min(seen) >= int(entries[0]["creation_height"])
    before = {h: b for h, b in seen.items() if h < completion}
    after = {h: b for h, b in seen.items() if h >= completion}
    assert before and after
    start_balance = seen[min(seen)]
    assert set(before.values()) == {start_balance}, before
    assert set(after.values()) == {start_balance + amount}, after
    assert network.query(GPUCHAIN_STAKING + "Unbonding", {"delegator": bob.bech32_address}) == {
        "entries": []
    }
