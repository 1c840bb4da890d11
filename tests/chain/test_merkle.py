"""The authenticated state tree: roots depend only on content, pruning is exact, proofs hold."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from hashlib import sha256
from pathlib import Path

import plyvel
import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.merkle import (
    EMPTY_ROOT,
    INTERNAL_TAG,
    LEAF_TAG,
    MerkleTree,
    MissingNodeError,
    NodeCache,
    Proof,
    ProofError,
    ProofKind,
    TreeUpdate,
    verify_proof,
)

KEYS = st.binary(min_size=0, max_size=6)
VALUES = st.binary(min_size=0, max_size=8)
STATES = st.dictionaries(KEYS, VALUES, max_size=40)


class DictNodes(dict[bytes, bytes]):
    """A node store backed by a dict: `persist` writes one TreeUpdate the way a batch would."""

    def persist(self, update: TreeUpdate) -> None:
        for key, encoded in update.node_writes.items():
            if encoded is None:
                self.pop(key, None)
            else:
                self[key] = encoded


def reference_root(state: Mapping[bytes, bytes]) -> bytes:
    """The root computed straight from the specification, with no tree at all."""
    leaves = sorted((sha256(key).digest(), sha256(value).digest()) for key, value in state.items())

    def subtree(depth: int, items: list[tuple[bytes, bytes]]) -> bytes:
        if not items:
            return EMPTY_ROOT
        if len(items) == 1:
            path, value_hash = items[0]
            return sha256(b"\x00" + path + value_hash).digest()
        left = [item for item in items if not bit(item[0], depth)]
        right = [item for item in items if bit(item[0], depth)]
        return sha256(b"\x01" + subtree(depth + 1, left) + subtree(depth + 1, right)).digest()

    return subtree(0, leaves)


def bit(path: bytes, depth: int) -> int:
    return (path[depth // 8] >> (7 - depth % 8)) & 1


def reachable_nodes(nodes: Mapping[bytes, bytes], root: bytes) -> set[bytes]:
    """Every node key that the root reaches in ``nodes``."""
    seen: set[bytes] = set()
    stack = [root] if root != EMPTY_ROOT else []
    while stack:
        node_hash = stack.pop()
        seen.add(node_hash)
        encoded = nodes[node_hash]
        assert sha256(encoded).digest() == node_hash
        if encoded[0] == INTERNAL_TAG:
            stack.extend(child for child in (encoded[1:33], encoded[33:]) if child != EMPTY_ROOT)
        else:
            assert encoded[0] == LEAF_TAG
    return seen


def committed_tree_after(blocks: list[dict[bytes, bytes | None]]) -> tuple[MerkleTree, DictNodes]:
    nodes = DictNodes()
    tree = MerkleTree(nodes)
    for block in blocks:
        nodes.persist(tree.apply(block))
        tree.committed()
    return tree, nodes


def test_the_empty_tree_has_the_empty_root_and_proves_absence() -> None:
    tree = MerkleTree(DictNodes())
    assert tree.root_hash == EMPTY_ROOT == bytes(32)
    proof = tree.prove(b"anything")
    assert proof.kind == ProofKind.ABSENT_EMPTY
    assert verify_proof(EMPTY_ROOT, b"anything", None, proof)
    assert not verify_proof(EMPTY_ROOT, b"anything", b"", proof)


def test_a_single_key_tree_is_its_leaf() -> None:
    tree = MerkleTree(DictNodes())
    update = tree.apply({b"k": b"v"})
    expected = sha256(b"\x00" + sha256(b"k").digest() + sha256(b"v").digest()).digest()
    assert update.root_hash == tree.root_hash == expected
    assert list(update.node_writes) == [expected]


@settings(max_examples=examples(150))
@given(STATES)
def test_the_root_matches_the_specification(state: dict[bytes, bytes]) -> None:
    tree, nodes = committed_tree_after([dict(state)])
    assert tree.root_hash == reference_root(state)
    assert set(nodes) == reachable_nodes(nodes, tree.root_hash)


@settings(max_examples=examples(150))
@given(
    st.lists(st.tuples(KEYS, st.one_of(st.none(), VALUES)), max_size=80),
    st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=20),
    st.booleans(),
)
def test_the_root_depends_only_on_the_final_key_value_set(
    operations: list[tuple[bytes, bytes | None]], batch_sizes: list[int], commit_each: bool
) -> None:
    final: dict[bytes, bytes] = {}
    for key, value in operations:
        if value is None:
            final.pop(key, None)
        else:
            final[key] = value
    nodes = DictNodes()
    tree = MerkleTree(nodes)
    position = 0
    batch_index = 0
    while position < len(operations):
        size = batch_sizes[batch_index % len(batch_sizes)]
        batch: dict[bytes, bytes | None] = {}
        for key, value in operations[position : position + size]:
            batch[key] = value
        position += size
        batch_index += 1
        nodes.persist(tree.apply(batch))
        if commit_each:
            tree.committed()
    tree.committed()
    one_shot, _ = committed_tree_after([dict(final)])
    assert tree.root_hash == one_shot.root_hash == reference_root(final)
    assert set(nodes) == reachable_nodes(nodes, tree.root_hash)
    reopened = MerkleTree(nodes, tree.root_hash)
    for key, value in final.items():
        assert verify_proof(tree.root_hash, key, value, reopened.prove(key))


@settings(max_examples=examples(60))
@given(STATES, st.randoms(use_true_random=False))
def test_inserting_then_deleting_everything_leaves_the_empty_tree_and_no_nodes(
    state: dict[bytes, bytes], shuffler: object
) -> None:
    keys = sorted(state)
    shuffler.shuffle(keys)  # type: ignore[attr-defined]
    nodes = DictNodes()
    tree = MerkleTree(nodes)
    nodes.persist(tree.apply(dict(state)))
    tree.committed()
    half = len(keys) // 2
    nodes.persist(tree.apply(dict.fromkeys(keys[:half])))
    tree.committed()
    assert set(nodes) == reachable_nodes(nodes, tree.root_hash)
    nodes.persist(tree.apply(dict.fromkeys(keys[half:])))
    tree.committed()
    assert tree.root_hash == EMPTY_ROOT
    assert dict(nodes) == {}


def test_no_op_changes_write_nothing() -> None:
    tree, _ = committed_tree_after([{b"a": b"1", b"b": b"2", b"c": b"3"}])
    root = tree.root_hash
    update = tree.apply({b"a": b"1", b"absent": None, b"c": b"3"})
    assert update.root_hash == root
    assert update.node_writes == {}
    assert tree.apply({}).node_writes == {}


@settings(max_examples=examples(100))
@given(STATES, st.lists(KEYS, max_size=10))
def test_proofs_verify_for_present_and_absent_keys(
    state: dict[bytes, bytes], probes: list[bytes]
) -> None:
    tree, _ = committed_tree_after([dict(state)])
    root = tree.root_hash
    for key in [*state, *probes]:
        value = state.get(key)
        proof = Proof.from_bytes(tree.prove(key).to_bytes())
        assert proof == tree.prove(key)
        assert verify_proof(root, key, value, proof)
        assert tree.get_value_hash(key) == (None if value is None else sha256(value).digest())
        if value is None:
            assert proof.kind != ProofKind.EXISTS
            assert not verify_proof(root, key, b"", proof)
        else:
            assert proof.kind == ProofKind.EXISTS
            assert not verify_proof(root, key, None, proof)
            assert not verify_proof(root, key, value + b"x", proof)
        wrong_root = bytes([root[0] ^ 1]) + root[1:]
        assert not verify_proof(wrong_root, key, value, proof)
        if value is not None:
            assert not verify_proof(root, key + b"?", value, proof)


def tamper_every_byte(proof_bytes: bytes) -> list[bytes]:
    variants = []
    for index in range(len(proof_bytes)):
        for flip in (0x01, 0x80, 0xFF):
            tampered = bytearray(proof_bytes)
            tampered[index] ^= flip
            variants.append(bytes(tampered))
    return variants


def accepts(root: bytes, key: bytes, value: bytes | None, proof_bytes: bytes) -> bool:
    try:
        proof = Proof.from_bytes(proof_bytes)
    except ProofError:
        return False
    return verify_proof(root, key, value, proof)


@settings(max_examples=examples(40))
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=30), KEYS)
def test_every_single_byte_tamper_of_a_proof_fails(state: dict[bytes, bytes], probe: bytes) -> None:
    tree, _ = committed_tree_after([dict(state)])
    root = tree.root_hash
    for key in (next(iter(state)), probe):
        value = state.get(key)
        proof_bytes = tree.prove(key).to_bytes()
        assert accepts(root, key, value, proof_bytes)
        for tampered in tamper_every_byte(proof_bytes):
            assert not accepts(root, key, value, tampered)
        assert not accepts(root, key, value, proof_bytes + b"\x00")
        assert not accepts(root, key, value, proof_bytes[:-1])


def test_existence_and_absence_proofs_cannot_stand_for_each_other() -> None:
    tree, _ = committed_tree_after([{bytes([i]): bytes([i]) * 3 for i in range(50)}])
    root = tree.root_hash
    present = tree.prove(b"\x07")
    absent = tree.prove(b"missing")
    assert present.kind == ProofKind.EXISTS
    assert absent.kind in (ProofKind.ABSENT_EMPTY, ProofKind.ABSENT_LEAF)
    assert not verify_proof(root, b"\x07", None, present)
    assert not verify_proof(root, b"missing", b"\x07" * 3, absent)
    assert not verify_proof(root, b"\x07", b"\x07" * 3, absent)
    relabelled = Proof(ProofKind.ABSENT_EMPTY, present.siblings)
    assert not verify_proof(root, b"\x07", None, relabelled)
    # A leaf proof for the key itself is not an absence proof.
    leaf_path = sha256(b"\x07").digest()
    disguised = Proof(
        ProofKind.ABSENT_LEAF, present.siblings, leaf_path, sha256(b"\x07" * 3).digest()
    )
    assert not verify_proof(root, b"\x07", None, disguised)
    # Malformed proof objects are rejected, not raised on.
    assert not verify_proof(root, b"\x07", b"\x07" * 3, Proof(ProofKind.EXISTS, (b"short",)))
    assert not verify_proof(root, b"\x07", b"\x07" * 3, Proof(99, ()))
    assert not verify_proof(b"short", b"\x07", b"\x07" * 3, present)


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x01", b"\x01\x00", b"\x03\x00\x00", b"\x01\x01\x01", b"\x00\x00\x01", b"\xff" * 40],
)
def test_garbage_proof_bytes_raise_proof_error(garbage: bytes) -> None:
    with pytest.raises(ProofError):
        Proof.from_bytes(garbage)


@settings(max_examples=examples(300))
@given(st.binary(max_size=120))
def test_proof_bytes_either_decode_canonically_or_raise(data: bytes) -> None:
    try:
        proof = Proof.from_bytes(data)
    except ProofError:
        return
    assert proof.to_bytes() == data


def test_a_proof_with_an_explicit_zero_sibling_is_not_canonical() -> None:
    data = b"\x00\x00\x01\x80" + bytes(32)
    with pytest.raises(ProofError):
        Proof.from_bytes(data)


@settings(max_examples=examples(60))
@given(STATES, st.dictionaries(KEYS, st.one_of(st.none(), VALUES), max_size=20))
def test_an_older_root_still_proves_from_a_reader_that_has_its_nodes(
    old_state: dict[bytes, bytes], changes: dict[bytes, bytes | None]
) -> None:
    tree, nodes = committed_tree_after([dict(old_state)])
    old_root = tree.root_hash
    snapshot = DictNodes(nodes)
    nodes.persist(tree.apply(changes))
    # Uncommitted: the pending nodes live only in `tree`; a view on the snapshot ignores them.
    old_view = MerkleTree.at(snapshot, old_root, cache=tree.cache)
    for key in [*old_state, *changes]:
        assert verify_proof(old_root, key, old_state.get(key), old_view.prove(key))
    tree.committed()
    # A view on the live store after pruning can still prove the new root.
    new_state = dict(old_state)
    for key, value in changes.items():
        if value is None:
            new_state.pop(key, None)
        else:
            new_state[key] = value
    new_view = MerkleTree(nodes, tree.root_hash)
    for key in [*old_state, *changes]:
        assert verify_proof(tree.root_hash, key, new_state.get(key), new_view.prove(key))
    # The older snapshot is still whole even after the newer nodes were committed.
    fresh_old_view = MerkleTree(snapshot, old_root)
    for key in old_state:
        assert verify_proof(old_root, key, old_state[key], fresh_old_view.prove(key))


def test_apply_before_committed_sees_pending_nodes() -> None:
    nodes = DictNodes()
    tree = MerkleTree(nodes)
    first = tree.apply({b"a": b"1", b"b": b"2"})
    second = tree.apply({b"a": None, b"c": b"3"})
    assert verify_proof(tree.root_hash, b"b", b"2", tree.prove(b"b"))
    assert verify_proof(tree.root_hash, b"a", None, tree.prove(b"a"))
    nodes.persist(first)
    nodes.persist(second)
    tree.committed()
    assert tree.root_hash == reference_root({b"b": b"2", b"c": b"3"})
    assert set(nodes) == reachable_nodes(nodes, tree.root_hash)


def test_a_small_cache_still_gives_the_same_roots() -> None:
    nodes = DictNodes()
    tree = MerkleTree(nodes, cache=NodeCache(capacity=8))
    state: dict[bytes, bytes] = {}
    for block in range(20):
        changes: dict[bytes, bytes | None] = {
            f"key{(block * 7 + i) % 60}".encode(): (None if i % 5 == 0 else f"{block}".encode())
            for i in range(15)
        }
        for key, value in changes.items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        nodes.persist(tree.apply(changes))
        tree.committed()
        assert tree.root_hash == reference_root(state)
    assert set(nodes) == reachable_nodes(nodes, tree.root_hash)


def test_nodes_round_trip_through_leveldb(tmp_path: Path) -> None:
    db_path = str(tmp_path / "nodes")
    state = {f"account/{i:04d}".encode(): f"balance {i * 13}".encode() for i in range(300)}
    db = plyvel.DB(db_path, create_if_missing=True)
    tree = MerkleTree(db)
    roots = []
    for block in range(3):
        changes: dict[bytes, bytes | None] = {}
        for i in range(block * 100, block * 100 + 100):
            key = f"account/{i:04d}".encode()
            changes[key] = state[key]
        if block == 2:
            changes[b"account/0000"] = None
            changes[b"account/0001"] = b"changed"
        update = tree.apply(changes)
        with db.write_batch(transaction=True) as batch:
            for node_key, encoded in update.node_writes.items():
                if encoded is None:
                    batch.delete(node_key)
                else:
                    batch.put(node_key, encoded)
        tree.committed()
        roots.append(tree.root_hash)
    db.close()
    del state[b"account/0000"]
    state[b"account/0001"] = b"changed"

    db = plyvel.DB(db_path)
    try:
        stored = dict(db.iterator())
        assert set(stored) == reachable_nodes(stored, roots[-1])
        assert roots[-1] == reference_root(state)
        reopened = MerkleTree(db, roots[-1])
        for key, value in state.items():
            proof = Proof.from_bytes(reopened.prove(key).to_bytes())
            assert verify_proof(roots[-1], key, value, proof)
        for key in (b"account/0000", b"account/9999"):
            assert verify_proof(roots[-1], key, None, reopened.prove(key))
        with db.snapshot() as snapshot:
            view = MerkleTree.at(snapshot, roots[-1])
            update = reopened.apply({b"account/0002": None})
            with db.write_batch(transaction=True) as batch:
                for node_key, encoded in update.node_writes.items():
                    if encoded is None:
                        batch.delete(node_key)
                    else:
                        batch.put(node_key, encoded)
            reopened.committed()
            assert verify_proof(
                roots[-1], b"account/0002", state[b"account/0002"], view.prove(b"account/0002")
            )
    finally:
        db.close()


def write_to_leveldb(db: plyvel.DB, update: TreeUpdate) -> None:
    with db.write_batch(transaction=True) as batch:
        for node_key, encoded in update.node_writes.items():
            if encoded is None:
                batch.delete(node_key)
            else:
                batch.put(node_key, encoded)


def test_queries_on_snapshots_stay_consistent_while_blocks_commit(tmp_path: Path) -> None:
    db = plyvel.DB(str(tmp_path / "nodes"), create_if_missing=True)
    tree = MerkleTree(db, cache=NodeCache(capacity=300))
    state = {f"key{i}".encode(): b"v0" for i in range(400)}
    write_to_leveldb(db, tree.apply(dict(state)))
    tree.committed()
    published = [(db.snapshot(), tree.root_hash, dict(state))]
    failures: list[str] = []
    stop = threading.Event()

    def query_loop() -> None:
        checked = 0
        while not stop.is_set() or checked < 50:
            snapshot, root, expected = published[-1]
            view = MerkleTree.at(snapshot, root, cache=tree.cache)
            for i in range(checked % 7, 460, 37):
                key = f"key{i}".encode()
                if not verify_proof(root, key, expected.get(key), view.prove(key)):
                    failures.append(f"{key!r} under {root.hex()}")
            checked += 1

    reader = threading.Thread(target=query_loop)
    reader.start()
    try:
        for block in range(1, 30):
            changes: dict[bytes, bytes | None] = {}
            for i in range(block, 460, 11):
                key = f"key{i}".encode()
                changes[key] = None if (i + block) % 3 == 0 else f"v{block}".encode()
            update = tree.apply(changes)
            write_to_leveldb(db, update)
            tree.committed()
            for key, value in changes.items():
                if value is None:
                    state.pop(key, None)
                else:
                    state[key] = value
            published.append((db.snapshot(), tree.root_hash, dict(state)))
    finally:
        stop.set()
        reader.join()
    assert failures == []
    assert tree.root_hash == reference_root(state)
    stored = dict(db.iterator())
    assert set(stored) == reachable_nodes(stored, tree.root_hash)
    for snapshot, _, _ in published:
        snapshot.close()
    db.close()


def test_a_reader_without_the_trees_nodes_raises_missing_node() -> None:
    tree, _ = committed_tree_after([{b"a": b"1", b"b": b"2"}])
    with pytest.raises(MissingNodeError):
        MerkleTree(DictNodes(), tree.root_hash).prove(b"a")
    with pytest.raises(MissingNodeError):
        MerkleTree(DictNodes(), tree.root_hash).apply({b"c": b"3"})


def test_discard_returns_to_the_last_committed_root() -> None:
    tree, nodes = committed_tree_after([{b"a": b"1", b"b": b"2"}])
    committed_root = tree.root_hash
    tree.apply({b"a": None, b"c": b"3"})
    tree.apply({b"d": b"4"})
    tree.discard()
    assert tree.root_hash == committed_root
    assert verify_proof(committed_root, b"a", b"1", tree.prove(b"a"))
    assert verify_proof(committed_root, b"c", None, tree.prove(b"c"))
    nodes.persist(tree.apply({b"e": b"5"}))
    tree.committed()
    assert tree.root_hash == reference_root({b"a": b"1", b"b": b"2", b"e": b"5"})
    assert set(nodes) == reachable_nodes(nodes, tree.root_hash)


# Consensus-critical: these bytes are in docs/merkle.md; changing them forks the chain.
VECTOR_STATE = {b"alice": b"100", b"bob": b"200", b"carol": b"300", b"dave": b"400"}
VECTOR_ROOT = "822fe46c026240643fbf7b95712dd1b6f2e9abeba4acbbd780ee09e1195bb841"
VECTOR_PROOFS = {
    b"alice": (
        "010002c0a07e6690dce29652a830c76a3b9010e4e9e9a28ce5dade073782565938a28dbd"
        "d1993e7affe903a89943cd1f2a1e899d00ddf9a524caaab29f63a646d1ed8785"
    ),
    b"erin": (
        "020003e0a07e6690dce29652a830c76a3b9010e4e9e9a28ce5dade073782565938a28dbd"
        "e88595db6e2373140c77336108e543dd79e1c6420dff08568b120417c8af88b5"
        "5172fdea6635f53c5b482e594d1e151d095de2003f3c64572fa401afe6ae9520"
        "61ea0803f8853523b777d414ace3130cd4d3f92de2cd7ff8695c337d79c2eeee"
        "26d228663f13a88592a12d16cf9587caab0388b262d6d9f126ed62f9333aca94"
    ),
}


def test_the_documented_test_vectors_hold() -> None:
    tree, _ = committed_tree_after([dict(VECTOR_STATE)])
    assert tree.root_hash.hex() == VECTOR_ROOT
    root = bytes.fromhex(VECTOR_ROOT)
    for key, proof_hex in VECTOR_PROOFS.items():
        assert tree.prove(key).to_bytes().hex() == proof_hex
        proof = Proof.from_bytes(bytes.fromhex(proof_hex))
        assert verify_proof(root, key, VECTOR_STATE.get(key), proof)
    assert MerkleTree(DictNodes()).prove(b"alice").to_bytes() == b"\x00\x00\x00"
