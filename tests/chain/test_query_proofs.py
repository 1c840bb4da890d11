"""`/store/key` queries with prove=true return proofs that verify against the app hash, and only
against it: tampering with the proof, the value or the root makes verification fail."""

from __future__ import annotations

from chain_fixtures import ALICE, CAROL, Chain

from chain.app import PROOF_OP_TYPE, STORE_QUERY_PATH, verify_store_proof
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.store import encode_uint
from x.bank.keys import balance_key


def _prove(chain: Chain, key: bytes) -> abci.ResponseQuery:
    response = chain.node.app.query(abci.RequestQuery(path=STORE_QUERY_PATH, data=key, prove=True))
    assert response.code == 0, response.log
    assert response.height == chain.node.height
    assert [op.type for op in response.proof_ops.ops] == [PROOF_OP_TYPE]
    return response


def test_existence_proof_verifies_against_the_committed_app_hash(chain: Chain) -> None:
    key = balance_key(ALICE.address, "ugpc")
    response = _prove(chain, key)
    assert response.value == encode_uint(1_000_000_000)
    proof = response.proof_ops.ops[0].data
    assert verify_store_proof(chain.state_hash(), key, response.value, proof)


def test_absence_proof_verifies_for_a_key_never_written(chain: Chain) -> None:
    key = balance_key(CAROL.address, "ugpc")
    response = _prove(chain, key)
    assert response.value == b""
    assert verify_store_proof(chain.state_hash(), key, None, response.proof_ops.ops[0].data)


def test_tampered_proofs_values_and_roots_fail(chain: Chain) -> None:
    key = balance_key(ALICE.address, "ugpc")
    response = _prove(chain, key)
    proof = response.proof_ops.ops[0].data
    root = chain.state_hash()
    for index in range(len(proof)):
        tampered = bytearray(proof)
        tampered[index] ^= 0x01
        assert not verify_store_proof(root, key, response.value, bytes(tampered)), index
    assert not verify_store_proof(root, key, encode_uint(1_000_000_001), proof)
    assert not verify_store_proof(root, key, None, proof)
    assert not verify_store_proof(bytes(32), key, response.value, proof)
    assert not verify_store_proof(root, balance_key(CAROL.address, "ugpc"), response.value, proof)
    assert not verify_store_proof(root, key, response.value, b"garbage")


def test_a_proof_from_an_older_height_does_not_verify_against_a_newer_root(chain: Chain) -> None:
    from chain_fixtures import BOB, send

    key = balance_key(ALICE.address, "ugpc")
    old = _prove(chain, key)
    chain.node.block([chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")])])
    assert not verify_store_proof(chain.state_hash(), key, old.value, old.proof_ops.ops[0].data)


def test_queries_at_heights_not_kept_are_refused_with_a_reason(chain: Chain) -> None:
    response = chain.node.app.query(
        abci.RequestQuery(path=STORE_QUERY_PATH, data=b"x", height=chain.node.height + 5)
    )
    assert response.code == 18 and "only the latest" in response.log


def test_unknown_query_paths_are_named(chain: Chain) -> None:
    response = chain.node.app.query(abci.RequestQuery(path="/nope.Query/Thing"))
    assert response.code == 6 and "/nope.Query/Thing" in response.log
