"""cosmos.tx.v1beta1.Service/Simulate: the gas and result of a tx, before it is signed,
from a copy of committed state that nothing changes."""

from __future__ import annotations

import pytest
from chain_fixtures import ALICE, BOB, CAROL, Chain, send

from chain.errors import AppError
from chain.pb.cosmos.tx.v1beta1 import service_pb2, tx_pb2
from chain.tx import SIMULATE_PATH


def unsigned(raw: bytes) -> bytes:
    envelope = tx_pb2.TxRaw.FromString(raw)
    return tx_pb2.TxRaw(
        body_bytes=envelope.body_bytes,
        auth_info_bytes=envelope.auth_info_bytes,
        signatures=[b""],
    ).SerializeToString()


def simulate(chain: Chain, raw: bytes) -> service_pb2.SimulateResponse:
    reader, _, _ = chain.node.app.store.query_view()
    route = chain.node.app.queries[SIMULATE_PATH]
    answer: service_pb2.SimulateResponse = route.handler(
        reader, service_pb2.SimulateRequest(tx_bytes=raw)
    )
    return answer


def test_the_simulated_gas_is_what_the_block_charges(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, CAROL.bech32_address, "500")], fee="2000ugpc")
    estimate = simulate(chain, unsigned(raw))
    hash_before = chain.state_hash()

    result = chain.node.block([raw]).tx_results[0]

    assert result.code == 0, result.log
    assert estimate.gas_info.gas_used == result.gas_used
    assert any(event.type == "transfer" for event in estimate.result.events)
    assert hash_before != chain.state_hash()


def test_a_simulation_changes_neither_state_nor_the_mempool(chain: Chain) -> None:
    free = chain.node.sign(BOB, [send(BOB, CAROL.bech32_address, "7")], fee="1ugpc")
    account_before = chain.node.account(BOB)

    assert simulate(chain, unsigned(free)).gas_info.gas_used > 0

    assert chain.balance(CAROL) == 0
    assert chain.node.account(BOB) == account_before
    # Neither the committed state nor the mempool's saw it: the same sequence still goes.
    paid = chain.node.sign(BOB, [send(BOB, CAROL.bech32_address, "7")], fee="2000ugpc")
    assert chain.node.check(paid).code == 0
    assert chain.node.block([paid]).tx_results[0].code == 0
    assert chain.balance(CAROL) == 7


def test_a_tx_that_would_fail_answers_its_error(chain: Chain) -> None:
    raw = chain.node.sign(BOB, [send(BOB, CAROL.bech32_address, "999999999")])

    with pytest.raises(AppError) as refused:
        simulate(chain, unsigned(raw))

    assert (refused.value.kind.codespace, refused.value.kind.code) == ("sdk", 5)
    assert "insufficient funds" in refused.value.log
    assert refused.value.log.count("insufficient funds") == 1


def test_an_empty_request_is_refused_by_name(chain: Chain) -> None:
    with pytest.raises(AppError, match="simulate needs tx_bytes"):
        simulate(chain, b"")
