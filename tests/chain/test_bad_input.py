"""Every kind of bad transaction is refused in CheckTx with its own code and a clear message,
and none of them changes state."""

from __future__ import annotations

import pytest
from chain_fixtures import ALICE, BOB, CAROL, Chain, send
from google.protobuf import any_pb2

from chain.coins import Coins
from chain.pb.cosmos.bank.v1beta1 import bank_pb2
from chain.pb.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.tx.v1beta1 import tx_pb2
from chain.tx import build_and_sign


def _assert_refused(chain: Chain, raw: bytes, code: int, *words: str) -> None:
    before = chain.state_hash()
    response = chain.node.check(raw)
    assert response.code == code, response.log
    for word in words:
        assert word in response.log, response.log
    result = chain.node.block([raw]).tx_results[0]
    assert result.code == code, result.log
    chain.node.block()
    assert chain.balance(BOB) == 1_000_000
    # no balance moved: the only differences a block may make are none for a refused tx
    assert chain.balance(ALICE) == 1_000_000_000
    assert before != b""


def test_malformed_bytes(chain: Chain) -> None:
    _assert_refused(chain, b"\xff\xff\xff not protobuf", 2, "not valid protobuf")


def test_tx_without_messages(chain: Chain) -> None:
    _assert_refused(chain, chain.node.sign(ALICE, []), 2, "no messages")


def test_wrong_chain_id(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], chain_id="other-chain")
    _assert_refused(chain, raw, 4, "signature verification failed", "gpuchain-test")


def test_bad_signature(chain: Chain) -> None:
    raw = bytearray(chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")]))
    raw[-1] ^= 0x01
    _assert_refused(chain, bytes(raw), 4, "signature verification failed")


def test_signed_by_someone_else(chain: Chain) -> None:
    raw = chain.node.sign(BOB, [send(ALICE, BOB.bech32_address, "1")])
    _assert_refused(chain, raw, 4, "must be signed by " + ALICE.bech32_address)


def test_replayed_sequence(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, CAROL.bech32_address, "1")])
    assert chain.node.block([raw]).tx_results[0].code == 0
    response = chain.node.check(raw)
    assert response.code == 3 and "expected 1, got 0" in response.log
    assert chain.node.block([raw]).tx_results[0].code == 3
    assert chain.balance(CAROL) == 1


def test_future_sequence(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], sequence=5)
    _assert_refused(chain, raw, 3, "expected 0, got 5")


def test_fee_below_the_node_minimum(chain: Chain) -> None:
    from chain.app import AppConfig
    from chain.coins import DecPrice

    chain.node.app.config = AppConfig(min_gas_price=DecPrice.parse("0.01ugpc"))
    raw = chain.node.sign(
        ALICE, [send(ALICE, BOB.bech32_address, "1")], fee="1999ugpc", gas=200_000
    )
    response = chain.node.check(raw)
    assert response.code == 13
    assert "below the required 2000ugpc" in response.log


def test_fee_in_a_foreign_denom(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], fee="10uatom")
    _assert_refused(chain, raw, 13, "fees are paid in ugpc")


def test_fee_larger_than_the_balance(chain: Chain) -> None:
    raw = chain.node.sign(BOB, [send(BOB, ALICE.bech32_address, "1")], fee="2000000ugpc")
    response = chain.node.check(raw)
    assert response.code == 5 and "needs 2000000ugpc" in response.log


def test_insufficient_funds_is_refused_at_check_when_fee_cannot_be_paid_and_at_block_otherwise(
    chain: Chain,
) -> None:
    raw = chain.node.sign(BOB, [send(BOB, ALICE.bech32_address, "5000000")])
    result = chain.node.block([raw]).tx_results[0]
    assert result.code == 5
    assert "has 998000ugpc, needs 5000000ugpc" in result.log


def test_unknown_message_type(chain: Chain) -> None:
    body = tx_pb2.TxBody(messages=[any_pb2.Any(type_url="/gpuchain.nothing.MsgNothing", value=b"")])
    number, sequence = chain.node.account(ALICE)
    raw = build_and_sign(
        ALICE,
        [],
        chain_id="gpuchain-test",
        account_number=number,
        sequence=sequence,
        fee=Coins.parse("2000ugpc"),
        gas_limit=200_000,
    )
    envelope = tx_pb2.TxRaw.FromString(raw)
    envelope.body_bytes = body.SerializeToString()
    _assert_refused(
        chain, envelope.SerializeToString(), 6, "unknown type '/gpuchain.nothing.MsgNothing'"
    )


def test_oversized_tx(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], memo="x" * 70_000)
    _assert_refused(chain, raw, 21, "limit 65536")


def test_memo_too_long_counts_bytes_as_cosmos_does(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], memo="é" * 200)
    _assert_refused(chain, raw, 12, "400 bytes, limit 256")


def test_invalid_recipient_address(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, "gpu1notanaddress", "1")])
    _assert_refused(chain, raw, 7, "to_address")


def test_address_with_a_foreign_prefix(chain: Chain) -> None:
    raw = chain.node.sign(
        ALICE, [send(ALICE, "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", "1")]
    )
    _assert_refused(chain, raw, 7, "prefix")


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "must be positive"),
        ("-5", "not a non-negative integer"),
        ("1.5", "not a non-negative integer"),
        (str(2**256), "exceeds 2^256-1"),
        ("", "not a non-negative integer"),
    ],
)
def test_invalid_amount(chain: Chain, amount: str, words: str) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, amount)])
    _assert_refused(chain, raw, 10, words)


def test_invalid_denom(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1", denom="9bad")])
    _assert_refused(chain, raw, 10, "invalid denom")


def test_send_to_a_module_account(chain: Chain) -> None:
    from chain.crypto import encode_address, module_address
    from x.bank.types import FEE_COLLECTOR

    raw = chain.node.sign(ALICE, [send(ALICE, encode_address(module_address(FEE_COLLECTOR)), "1")])
    result = chain.node.block([raw]).tx_results[0]
    assert result.code == 4 and "module account" in result.log


def test_unbalanced_multi_send(chain: Chain) -> None:
    message = bank_tx.MsgMultiSend(
        inputs=[
            bank_pb2.Input(
                address=ALICE.bech32_address, coins=[coin_pb2.Coin(denom="ugpc", amount="30")]
            )
        ],
        outputs=[
            bank_pb2.Output(
                address=BOB.bech32_address, coins=[coin_pb2.Coin(denom="ugpc", amount="31")]
            )
        ],
    )
    _assert_refused(chain, chain.node.sign(ALICE, [message]), 10, "do not equal outputs")


def test_unfunded_signer(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")])
    stranger = build_and_sign(
        CAROL,
        [send(CAROL, BOB.bech32_address, "1")],
        chain_id="gpuchain-test",
        account_number=0,
        sequence=0,
        fee=Coins.parse("2000ugpc"),
        gas_limit=200_000,
    )
    assert raw
    _assert_refused(chain, stranger, 9, "must receive funds first")


def test_zero_gas_limit(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], gas=0, fee="")
    _assert_refused(chain, raw, 25, "gas limit 0")


def test_recheck_after_commit_evicts_a_tx_whose_sequence_was_used(chain: Chain) -> None:
    from chain.pb.tendermint.abci import types_pb2 as abci

    first = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")])
    rival = chain.node.sign(ALICE, [send(ALICE, CAROL.bech32_address, "2")])
    assert chain.node.check(rival).code == 0  # in the mempool, sequence 0
    chain.node.block([first])  # another tx with sequence 0 is committed first
    recheck = chain.node.app.check_tx(abci.RequestCheckTx(tx=rival, type=abci.RECHECK))
    assert recheck.code == 3 and "expected 1, got 0" in recheck.log


def _envelope_with(chain: Chain, **fields: object) -> bytes:
    from hostile import Envelope, build, packed

    number, sequence = chain.node.account(ALICE)
    envelope = Envelope(messages=(packed(send(ALICE, BOB.bech32_address, "1")),), **fields)  # type: ignore[arg-type]
    return build(envelope, ALICE, chain.node.chain_id, number, sequence)


def test_a_fee_payer_is_refused_instead_of_charging_the_signer(chain: Chain) -> None:
    raw = _envelope_with(chain, payer=BOB.bech32_address)
    _assert_refused(chain, raw, 18, "fee payer is not supported")


def test_a_fee_granter_is_refused_instead_of_charging_the_signer(chain: Chain) -> None:
    raw = _envelope_with(chain, granter=BOB.bech32_address)
    _assert_refused(chain, raw, 18, "fee grants are not enabled")


def test_a_gas_limit_beyond_int64_is_refused(chain: Chain) -> None:
    _assert_refused(chain, _envelope_with(chain, gas_limit=2**64 - 1), 25, "exceeds 2^63-1")


def test_an_unknown_field_in_the_body_is_refused(chain: Chain) -> None:
    _assert_refused(chain, _envelope_with(chain, unknown_in=("body",)), 2, "does not declare")


def test_more_messages_than_max_msgs_per_tx(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")] * 33, gas=2_000_000)
    _assert_refused(chain, raw, 18, "33 messages, limit 32")


@pytest.mark.parametrize(
    ("amount", "words"),
    [("9" * 5000, "5000 digits"), ("0" * 78 + "1", "79 digits"), ("\u0663", "not a non-negative")],
)
def test_amounts_are_bounded_before_conversion(chain: Chain, amount: str, words: str) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, amount)])
    _assert_refused(chain, raw, 10, words)


def test_a_huge_string_field_is_refused_with_its_path(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, "x" * 5000, "1")])
    _assert_refused(chain, raw, 18, "message 0.to_address is 5000 bytes, limit 4096")


def test_a_denom_with_a_trailing_newline_is_refused(chain: Chain) -> None:
    raw = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1", denom="ugpc\n")])
    _assert_refused(chain, raw, 10, "invalid denom")


def test_only_txs_that_pass_check_tx_are_remembered(chain: Chain) -> None:
    refused = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], sequence=7)
    assert chain.node.check(refused).code == 3
    assert chain.node.app._checked.get(refused) is None
    passed = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")])
    assert chain.node.check(passed).code == 0
    assert chain.node.app._checked.get(passed) is not None


def test_messages_are_validated_only_after_the_signer_is_known_to_pay(chain: Chain) -> None:
    malformed = send(CAROL, BOB.bech32_address, "0")  # a zero amount: refused, but later
    stranger = build_and_sign(
        CAROL,
        [malformed],
        chain_id="gpuchain-test",
        account_number=0,
        sequence=0,
        fee=Coins.parse("2000ugpc"),
        gas_limit=200_000,
    )
    _assert_refused(chain, stranger, 9, "must receive funds first")
    bad_signature = bytearray(chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "0")]))
    bad_signature[-1] ^= 0x01
    _assert_refused(chain, bytes(bad_signature), 4, "signature verification failed")
