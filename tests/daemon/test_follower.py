"""The follower hands over every block once, in order, across a killed node, a dead node in
its list and its own restart: an order event in any of those blocks is never missed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from daemon_helpers import Chain, transfer_from, wait_until

from chain.testing import free_port
from provider.follower import Block, Follower
from provider.nodes import NodePool
from provider.state import State

pytestmark = pytest.mark.timeout(180)


def transfer(chain: Chain, recipient: str, amount: int) -> None:
    transfer_from(chain, "bystander", recipient, amount)


class Recorder:
    """What a follower handed over: heights, and amounts received by one address."""

    def __init__(self, recipient: str) -> None:
        self.recipient = recipient
        self.heights: list[int] = []
        self.amounts: list[str] = []

    def __call__(self, block: Block) -> None:
        self.heights.append(block.height)
        self.amounts.extend(
            event.attributes["amount"]
            for event in block.of_type("transfer")
            if event.attributes.get("recipient") == self.recipient
        )


def test_no_block_is_missed_or_repeated_across_a_node_kill_and_a_follower_restart(
    chain: Chain, tmp_path: Path
) -> None:
    recipient = chain.addresses["auditor"]
    recorder = Recorder(recipient)
    state = State(tmp_path / "data")
    dead = f"tcp://127.0.0.1:{free_port()}"
    nodes = NodePool([dead, chain.node.rpc_address], timeout=2)

    def run_follower() -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        follower = Follower(nodes, state, recorder, stop, poll_seconds=1, retry_seconds=0.2)
        follower.start_height(chain.node.last_height())
        thread = threading.Thread(target=follower.run, daemon=True)
        thread.start()
        return thread, stop

    thread, stop = run_follower()
    transfer(chain, recipient, 1001)
    wait_until(lambda: "1001ugpc" in recorder.amounts, "the first transfer")

    chain.node.kill()  # the socket drops; the follower keeps trying both nodes
    chain.node.start()
    transfer(chain, recipient, 1002)
    transfer(chain, recipient, 1003)
    wait_until(lambda: "1003ugpc" in recorder.amounts, "the transfers after the restart")

    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    transfer(chain, recipient, 1004)  # while no follower runs
    thread, stop = run_follower()
    wait_until(lambda: "1004ugpc" in recorder.amounts, "the transfer made while stopped")
    stop.set()
    thread.join(timeout=10)

    assert recorder.amounts == ["1001ugpc", "1002ugpc", "1003ugpc", "1004ugpc"]
    first = recorder.heights[0]
    assert recorder.heights == list(range(first, first + len(recorder.heights)))
    assert state.processed_height() == recorder.heights[-1]
