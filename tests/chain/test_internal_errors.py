"""A bug that raises inside one tx's execution fails that tx alone, the same way on every
node, and the chain goes on; events are paid for by the byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from chain_fixtures import ALICE, BOB

from chain.context import Context, ExecMode, GasMeter, GasSchedule
from chain.errors import INTERNAL, OUT_OF_GAS, AppError
from chain.module import Module, MsgRoute
from chain.pb.cosmos.bank.v1beta1 import bank_pb2
from chain.pb.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from chain.store import MemoryStore
from chain.testing import TestNode, genesis_state


def _overflow(ctx: Context, message: bank_pb2.Input) -> bank_pb2.Input:
    # What a bug hitting the interpreter's own limits looks like: where it strikes
    # depends on the node's Python, so the outcome must not.
    raise RecursionError("maximum recursion depth exceeded")


class BuggyModule(Module):
    """A module whose only message handler always raises an unexpected exception."""

    name = "buggy"

    def msg_routes(self) -> list[MsgRoute]:
        return [MsgRoute(bank_pb2.Input, lambda _m: None, lambda m: m.address, _overflow, "buggy")]


def _node(home: Path) -> TestNode:
    node = TestNode(home, extra_modules=(BuggyModule(),))
    node.init_chain(genesis_state({ALICE.bech32_address: "1000000000ugpc"}))
    node.block()
    return node


def test_an_exception_in_a_handler_fails_only_that_tx_alike_on_every_node(tmp_path: Path) -> None:
    first, second = _node(tmp_path / "first"), _node(tmp_path / "second")
    message = bank_pb2.Input(address=ALICE.bech32_address)
    raw = first.sign(ALICE, [message], gas=300_000, fee="3000ugpc")
    results = [node.block([raw]) for node in (first, second)]
    assert results[0].app_hash == results[1].app_hash
    assert results[0].tx_results[0] == results[1].tx_results[0]
    result = results[0].tx_results[0]
    assert (result.codespace, result.code, result.log) == ("sdk", INTERNAL.code, "internal error")
    assert result.gas_used == result.gas_wanted == 300_000
    assert first.account(ALICE)[1] == 1  # the fee and sequence stand, as for any failed tx
    send = bank_tx.MsgSend(from_address=ALICE.bech32_address, to_address=BOB.bech32_address)
    send.amount.add(denom="ugpc", amount="5")
    assert first.block([first.sign(ALICE, [send])]).tx_results[0].code == 0
    first.close()
    second.close()


def test_each_event_attribute_byte_costs_gas() -> None:
    schedule = GasSchedule()
    ctx = Context(MemoryStore(), "c", 1, 0, ExecMode.FINALIZE, GasMeter(10_000))
    ctx.emit("transfer", ("amount", "5ugpc"), ("recipient", "é"))
    assert ctx.gas.consumed == schedule.event_byte * (len("amount5ugpcrecipient") + 2)
    with pytest.raises(AppError) as refused:
        ctx.emit("transfer", ("memo", "x" * 1000))
    assert refused.value.kind == OUT_OF_GAS
    assert len(ctx.events) == 1
