"""Four equal validators: three of them are more than 2/3 of the power, two are not.

One network, one story: blocks are made, one validator stops and the chain goes on, a
second stops and it halts, both come back and it resumes; afterwards every node holds the
same block hash and app hash at every height.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from network_helpers import Network


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    net = Network.create(tmp_path_factory.mktemp("liveness") / "net")
    try:
        net.start()
        net.wait_for_height(3)
        yield net
    finally:
        net.stop_all()


def test_four_validators_make_blocks_and_each_is_in_the_set(network: Network) -> None:
    powers = network.validator_powers()
    assert set(powers) == {node.consensus_address for node in network.nodes}
    assert len(set(powers.values())) == 1
    network.wait_for_height(network.height() + 2)


def test_the_chain_stays_live_with_one_validator_stopped(network: Network) -> None:
    network.node("validator3").stop()
    network.wait_for_height(network.height() + 4, timeout=30)


def test_the_chain_halts_with_two_validators_stopped(network: Network) -> None:
    network.node("validator2").stop()
    stopped_at = network.height()
    # Halting is an absence of progress, so only time can show it: 20 block times at 200 ms.
    # A block its last precommit helped commit may still land after it stopped, no more.
    time.sleep(4.0)
    assert all(node.height() <= stopped_at + 1 for node in network.running)


def test_restarting_the_two_resumes_the_chain(network: Network) -> None:
    halted_at = network.height()
    network.start([network.node("validator2"), network.node("validator3")])
    network.wait_for_height(halted_at + 3, timeout=60)


def test_every_node_holds_the_same_block_and_app_hash_at_every_height(network: Network) -> None:
    top = min(node.height() for node in network.nodes)
    assert top >= 10
    for height in range(1, top + 1):
        headers = {}
        for node in network.nodes:
            block = node.rpc.block(height)
            headers[node.name] = (block["block_id"]["hash"], block["block"]["header"]["app_hash"])
        assert len(set(headers.values())) == 1, f"nodes disagree at height {height}: {headers}"


def test_app_logs_are_written_per_validator(network: Network) -> None:
    for node in network.nodes:
        assert Path(node.home, "app.log").stat().st_size > 0
        assert Path(node.home, "cometbft.log").stat().st_size > 0
