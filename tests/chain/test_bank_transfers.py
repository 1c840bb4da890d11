"""Sending tokens moves balances, charges fees to the fee collector and keeps supply."""

from __future__ import annotations

from chain_fixtures import ALICE, BOB, CAROL, Chain, send

from chain.crypto import module_address
from chain.pb.cosmos.bank.v1beta1 import bank_pb2, tx_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from x.bank.types import FEE_COLLECTOR


def test_send_moves_tokens_and_pays_the_fee(chain: Chain) -> None:
    tx = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "12345")], fee="2000ugpc")
    assert chain.node.check(tx).code == 0
    result = chain.node.block([tx]).tx_results[0]
    assert result.code == 0, result.log
    assert chain.balance(ALICE) == 1_000_000_000 - 12345 - 2000
    assert chain.balance(BOB) == 1_000_000 + 12345
    assert chain.balance(module_address(FEE_COLLECTOR)) == 2000


def test_send_to_a_new_address_creates_its_account(chain: Chain) -> None:
    tx = chain.node.sign(ALICE, [send(ALICE, CAROL.bech32_address, "10")])
    assert chain.node.block([tx]).tx_results[0].code == 0
    number, sequence = chain.node.account(CAROL)
    # alice 0 and bob 1 at genesis, the fee collector 2 on the first fee, then carol
    assert (number, sequence) == (3, 0)
    assert chain.balance(CAROL) == 10


def test_send_emits_cosmos_events(chain: Chain) -> None:
    tx = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "7")])
    result = chain.node.block([tx]).tx_results[0]
    events = {
        (event.type, attribute.key): attribute.value
        for event in result.events
        for attribute in event.attributes
    }
    assert events[("message", "action")] == "/cosmos.bank.v1beta1.MsgSend"
    assert events[("message", "sender")] == ALICE.bech32_address
    assert events[("message", "module")] == "bank"
    assert events[("transfer", "recipient")] == BOB.bech32_address
    assert events[("transfer", "amount")] == "7ugpc"
    assert all(attribute.index for event in result.events for attribute in event.attributes)


def test_multi_send_pays_every_output(chain: Chain) -> None:
    message = tx_pb2.MsgMultiSend(
        inputs=[
            bank_pb2.Input(
                address=ALICE.bech32_address, coins=[coin_pb2.Coin(denom="ugpc", amount="30")]
            )
        ],
        outputs=[
            bank_pb2.Output(
                address=BOB.bech32_address, coins=[coin_pb2.Coin(denom="ugpc", amount="10")]
            ),
            bank_pb2.Output(
                address=CAROL.bech32_address, coins=[coin_pb2.Coin(denom="ugpc", amount="20")]
            ),
        ],
    )
    result = chain.node.block([chain.node.sign(ALICE, [message])]).tx_results[0]
    assert result.code == 0, result.log
    assert chain.balance(CAROL) == 20
    assert chain.balance(BOB) == 1_000_010


def test_a_failed_message_keeps_the_fee_and_bumps_the_sequence(chain: Chain) -> None:
    tx = chain.node.sign(BOB, [send(BOB, ALICE.bech32_address, "999999999")], fee="2000ugpc")
    result = chain.node.block([tx]).tx_results[0]
    assert result.code == 5 and "insufficient funds" in result.log
    assert chain.balance(BOB) == 1_000_000 - 2000
    assert chain.node.account(BOB)[1] == 1


def test_out_of_gas_reverts_messages_and_keeps_the_fee(chain: Chain) -> None:
    tx = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "5")], gas=35_000, fee="35ugpc")
    result = chain.node.block([tx]).tx_results[0]
    assert result.code == 11, result.log
    assert "out of gas" in result.log
    assert chain.balance(BOB) == 1_000_000
    assert chain.balance(ALICE) == 1_000_000_000 - 35
    assert result.gas_used == 35_000
