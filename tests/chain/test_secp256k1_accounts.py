"""Accounts keyed as Cosmos wallets key them: secp256k1 signatures are checked as the Cosmos
SDK checks them (64-byte r‖s over sha256, low-S only), beside ed25519 accounts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import coincurve
import pytest
from chain_fixtures import ALICE, send

from chain.crypto import PrivateKey, secp256k1_address
from chain.pb.cosmos.tx.v1beta1 import tx_pb2
from chain.testing import TestNode, genesis_state
from chain.tx import sign_bytes
from x.bank.module import BankModule

# secp256k1's group order: s and n - s both satisfy the ECDSA equation, so a signer's
# (r, s) has a malleable twin (r, n - s) that Cosmos refuses by accepting low-S only.
CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
DANA = PrivateKey(bytes(range(100, 132)), "secp256k1")
ERIN = PrivateKey(bytes(range(140, 172)), "secp256k1")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[TestNode]:
    chain = TestNode(tmp_path / "node")
    chain.init_chain(
        genesis_state({DANA.bech32_address: "1000000ugpc", ALICE.bech32_address: "1000000ugpc"})
    )
    chain.block()
    yield chain
    chain.close()


def balance(node: TestNode, key: PrivateKey) -> int:
    reader, _, _ = node.app.store.query_view()
    amount: int = node.modules.get(BankModule).keeper.balance(reader, key.address, "ugpc")
    return amount


def with_signature(raw: bytes, signature: bytes) -> bytes:
    envelope = tx_pb2.TxRaw.FromString(raw)
    del envelope.signatures[:]
    envelope.signatures.append(signature)
    return envelope.SerializeToString()


def test_a_secp256k1_address_is_ripemd160_of_sha256_of_the_compressed_key() -> None:
    assert len(DANA.public_key) == 33
    assert DANA.public_key[0] in (2, 3)
    assert DANA.address == secp256k1_address(DANA.public_key)
    assert DANA.address != ALICE.address


def test_a_block_mixes_secp256k1_and_ed25519_signers(node: TestNode) -> None:
    from_dana = node.sign(DANA, [send(DANA, ERIN.bech32_address, "300")], fee="1000ugpc")
    from_alice = node.sign(ALICE, [send(ALICE, ERIN.bech32_address, "200")], fee="1000ugpc")
    assert node.check(from_dana).code == 0
    assert node.check(from_alice).code == 0

    results = node.block([from_dana, from_alice]).tx_results
    assert [r.code for r in results] == [0, 0], [r.log for r in results]
    assert balance(node, ERIN) == 500
    assert balance(node, DANA) == 1_000_000 - 300 - 1000
    # The secp256k1 signature check costs what Cosmos charges for it, 1000 gas, not 590.
    assert results[0].gas_used - results[1].gas_used >= 1000 - 590 - 50


def test_a_high_s_twin_of_a_valid_signature_is_refused(node: TestNode) -> None:
    raw = node.sign(DANA, [send(DANA, ERIN.bech32_address, "1")])
    signature = tx_pb2.TxRaw.FromString(raw).signatures[0]
    r, s = signature[:32], int.from_bytes(signature[32:], "big")
    high_s = r + (CURVE_ORDER - s).to_bytes(32, "big")

    result = node.check(with_signature(raw, high_s))

    assert (result.codespace, result.code) == ("sdk", 4)
    assert "signature verification failed" in result.log
    assert node.check(raw).code == 0


def test_a_signature_by_another_key_or_over_other_bytes_is_refused(node: TestNode) -> None:
    raw = node.sign(DANA, [send(DANA, ERIN.bech32_address, "1")])
    envelope = tx_pb2.TxRaw.FromString(raw)
    forged = ERIN.sign(envelope.body_bytes)

    assert node.check(with_signature(raw, forged)).code == 4
    assert node.check(with_signature(raw, bytes(64))).code == 4
    assert node.check(with_signature(raw, forged[:63])).code == 4
    # A recoverable signature (r‖s‖v, as Ethereum wallets make) is not Cosmos's 64 bytes.
    recoverable = coincurve.PrivateKey(DANA.seed).sign_recoverable(
        sign_bytes(
            envelope.body_bytes, envelope.auth_info_bytes, node.chain_id, node.account(DANA)[0]
        ),
        lambda message: hashlib.sha256(message).digest(),
    )
    assert node.check(with_signature(raw, recoverable)).code == 4
    assert balance(node, DANA) == 1_000_000


def test_an_account_keeps_the_key_type_it_first_signed_with(node: TestNode) -> None:
    raw = node.sign(DANA, [send(DANA, ERIN.bech32_address, "5")])
    assert node.block([raw]).tx_results[0].code == 0

    exported = node.app.export_genesis()
    entry = next(a for a in exported["auth"]["accounts"] if a["address"] == DANA.bech32_address)
    assert entry["pub_key"]["@type"] == "/cosmos.crypto.secp256k1.PubKey"
    imported = TestNode(node.home.parent / "imported")
    try:
        imported.init_chain(exported)
        imported.block()
        assert imported.app.export_genesis()["auth"] == exported["auth"]
        again = imported.sign(DANA, [send(DANA, ERIN.bech32_address, "5")])
        assert imported.block([again]).tx_results[0].code == 0
    finally:
        imported.close()
