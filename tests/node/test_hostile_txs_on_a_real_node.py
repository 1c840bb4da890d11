"""A real node under attack through its public RPC: hostile txs move no funds and stop
nothing, and a flood of rejected large txs does not grow the app's memory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from hostile import build, corpus, plausible_strings

from chain.coins import Coins
from chain.crypto import PrivateKey
from chain.errors import is_registered
from chain.keyring import Keyring
from chain.pb.cosmos.bank.v1beta1 import bank_pb2
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query_pb2
from chain.pb.cosmos.bank.v1beta1 import tx_pb2 as bank_tx_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.rpc import CometRpc
from chain.testing import LocalNode
from chain.tx import build_and_sign
from chain.wiring import wire_modules

FLOOD_TXS = 2_000
FLOOD_TX_BYTES = 60 * 1024
RSS_GROWTH_LIMIT = 32 * 1024 * 1024


@dataclass
class Target:
    node: LocalNode
    attacker: PrivateKey
    bystander: str

    def balance(self, address: str) -> int:
        answer = self.node.rpc.query_message(
            "/cosmos.bank.v1beta1.Query/Balance",
            bank_query_pb2.QueryBalanceRequest(address=address, denom="ugpc"),
            bank_query_pb2.QueryBalanceResponse(),
        )
        return int(answer.balance.amount or 0)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    node = LocalNode(tmp_path_factory.mktemp("node") / "home")
    addresses = node.init({"attacker": "1000000000ugpc", "bystander": "1000000ugpc"})
    node.start()
    attacker = Keyring(node.home, "test").private_key("attacker")
    yield Target(node, attacker, addresses["bystander"])
    node.stop()


def _registry() -> dict[str, type]:
    return {
        route.type_url: route.message_class
        for module in wire_modules().in_order()
        for route in module.msg_routes()
    }


def test_a_corpus_of_hostile_txs_moves_no_funds_and_blocks_keep_coming(target: Target) -> None:
    rpc, attacker = target.node.rpc, target.attacker
    number, sequence = target.node.account(attacker.bech32_address)
    start_sequence = sequence
    attacker_before = target.balance(attacker.bech32_address)
    bystander_before = target.balance(target.bystander)
    accepted = 0
    sent: set[bytes] = set()
    for envelope in corpus(_registry(), plausible_strings(attacker)):
        raw = build(envelope, attacker, target.node.chain_id, number, sequence)
        if raw in sent:  # an edge equal to the default encodes as the plain tx
            continue
        sent.add(raw)
        answer = rpc.broadcast_tx_sync(raw)
        code = int(answer["code"])
        assert code == 0 or is_registered(answer.get("codespace", ""), code), answer
        if code == 0:
            # Admitted: it pays its fee in a block and fails there (no hostile message
            # can succeed); the next tx takes the following sequence.
            accepted += 1
            sequence += 1
    target.node.wait_for_height(target.node.last_height() + 3)
    _, final_sequence = target.node.account(attacker.bech32_address)
    assert final_sequence - start_sequence == accepted
    assert target.balance(target.bystander) == bystander_before
    assert target.balance(attacker.bech32_address) == attacker_before - 2000 * accepted


def _large_rejected_tx(index: int) -> bytes:
    """About 60 KiB of well-formed sends from an account that does not exist: refused by
    CheckTx, and distinct, so no cache anywhere can answer it from an earlier copy."""
    signer = PrivateKey(index.to_bytes(4, "big") + bytes(28))
    output = bank_pb2.Output(
        address=signer.bech32_address, coins=[coin_pb2.Coin(denom="ugpc", amount="1")]
    )
    outputs_per_message = 30
    message = bank_tx_pb2.MsgMultiSend(
        inputs=[
            bank_pb2.Input(
                address=signer.bech32_address,
                coins=[coin_pb2.Coin(denom="ugpc", amount=str(outputs_per_message))],
            )
        ],
        outputs=[output] * outputs_per_message,
    )
    raw = build_and_sign(
        signer,
        [message] * 32,
        chain_id="gpuchain-test",
        account_number=0,
        sequence=0,
        fee=Coins.parse("20000ugpc"),
        gas_limit=10_000_000,
    )
    assert FLOOD_TX_BYTES * 0.9 < len(raw) <= 65536, len(raw)
    return raw


def _rss_bytes(pid: int) -> int:
    for line in open(f"/proc/{pid}/status").read().splitlines():  # noqa: SIM115
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def _broadcast_all(rpc: CometRpc, txs: list[bytes]) -> list[int]:
    with ThreadPoolExecutor(4) as pool:
        return [int(answer["code"]) for answer in pool.map(rpc.broadcast_tx_sync, txs)]


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads RSS from /proc")
def test_a_flood_of_rejected_large_txs_does_not_grow_the_app(target: Target) -> None:
    assert target.node.process is not None
    pid = target.node.process.pid
    warm_up = [_large_rejected_tx(index) for index in range(200)]
    assert set(_broadcast_all(target.node.rpc, warm_up)) == {9}  # unknown address
    before = _rss_bytes(pid)
    flood = [_large_rejected_tx(index) for index in range(200, 200 + FLOOD_TXS)]
    assert set(_broadcast_all(target.node.rpc, flood)) == {9}
    growth = _rss_bytes(pid) - before
    target.node.wait_for_height(target.node.last_height() + 2)
    assert growth < RSS_GROWTH_LIMIT, f"app RSS grew by {growth / 2**20:.1f} MiB"
