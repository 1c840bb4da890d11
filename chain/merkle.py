"""The authenticated state tree: the app hash and Merkle proofs of every state key.

Logically a binary sparse Merkle tree over 256-bit paths, ``path = sha256(state key)``,
in which a subtree holding no leaf is the empty hash and a subtree holding exactly one
leaf is that leaf itself (Jellyfish-style collapsing), so a leaf sits as high as the
other keys allow and an update re-hashes about log2(N) nodes instead of 256.

Hashing (see docs/merkle.md for the full specification a light client needs):

- empty subtree: 32 zero bytes
- leaf:          sha256(0x00 || path || sha256(value))
- internal node: sha256(0x01 || left || right)

Storage is content-addressed: a node is persisted under its own hash, and its encoding
is exactly its hash preimage (65 bytes: the 0x00/0x01 tag, then 64 bytes). A node key
therefore names one node content forever, which makes every cache trivially safe to
share between the block-executing tree and query readers on older snapshots, and lets
pruning delete exactly the nodes that the new root no longer reaches.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from hashlib import sha256
from itertools import islice
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = bytes(HASH_SIZE)
"""Root hash of the empty tree: the empty-subtree hash, 32 zero bytes."""

NODE_SIZE = 1 + 2 * HASH_SIZE
LEAF_TAG = 0x00
INTERNAL_TAG = 0x01
DEFAULT_CACHE_NODES = 400_000

_ZERO = EMPTY_ROOT
_LEAF_PREFIX = bytes([LEAF_TAG])
_INTERNAL_PREFIX = bytes([INTERNAL_TAG])
_MAX_DEPTH = 256


class ProofError(ValueError):
    """Proof bytes are malformed: wrong length, unknown kind or non-canonical encoding."""


class MissingNodeError(LookupError):
    """A node that the tree's root reaches is not in the node store.

    This means the reader does not hold the tree it was given (for example a live
    database read while a newer block pruned the old nodes: read from a snapshot).
    """


class NodeReader(Protocol):
    """Read access to persisted tree nodes (the key is a node hash, the value its encoding)."""

    def get(self, key: bytes) -> bytes | None: ...


@dataclass(frozen=True)
class TreeUpdate:
    """What one `MerkleTree.apply` produced: the new root and the node writes to persist.

    ``node_writes`` maps a node key to its encoding, or to None for a node that the new
    root no longer reaches (prune it). Write them in the same atomic batch as the state.
    """

    root_hash: bytes
    node_writes: dict[bytes, bytes | None]


class NodeCache:
    """A bounded cache of node encodings by node hash, safe to share between threads.

    Entries are content-addressed, so a hit is always the right node for whoever asks,
    whichever root they read. When the bound is passed, the oldest inserted quarter is
    dropped; nodes rewritten by each block are re-inserted, so the hot upper levels of
    the tree stay in.
    """

    def __init__(self, capacity: int = DEFAULT_CACHE_NODES) -> None:
        self._capacity = max(1, capacity)
        self._nodes: dict[bytes, bytes] = {}
        self._evicting = threading.Lock()
        # Single dict operations are atomic under the GIL: lookups and inserts need no lock.
        self.get: Callable[[bytes], bytes | None] = self._nodes.get

    def __len__(self) -> int:
        return len(self._nodes)

    def put(self, node_hash: bytes, encoded: bytes) -> None:
        """Remember one node read from the store."""
        nodes = self._nodes
        nodes[node_hash] = encoded
        if len(nodes) > self._capacity:
            self._evict()

    def remember(self, writes: Mapping[bytes, bytes | None], pruned: list[bytes]) -> None:
        """Take in one persisted `TreeUpdate`: its new nodes in, its pruned nodes out."""
        nodes = self._nodes
        nodes.update(writes)  # type: ignore[arg-type]  # the None entries are popped below
        for node_hash in pruned:
            if writes[node_hash] is None:
                nodes.pop(node_hash, None)
        if len(nodes) > self._capacity:
            self._evict()

    def _evict(self) -> None:
        if not self._evicting.acquire(blocking=False):
            return
        try:
            nodes = self._nodes
            excess = len(nodes) - self._capacity + self._capacity // 4
            for node_hash in list(islice(nodes, max(0, excess))):
                nodes.pop(node_hash, None)
        finally:
            self._evicting.release()


def _leaf_encoding(path: bytes, value_hash: bytes) -> bytes:
    return _LEAF_PREFIX + path + value_hash


class MerkleTree:
    """A sparse Merkle tree over state keys, updated a block at a time.

    ``MerkleTree(reader, root)`` reads only nodes reachable from ``root`` through
    ``reader`` (plus nodes it created itself and not yet handed to `committed`), so a
    tree built on a database snapshot and that snapshot's root is a consistent
    read-only view for queries, whatever the block-executing tree does meanwhile.
    """

    def __init__(
        self,
        nodes: NodeReader,
        root_hash: bytes = EMPTY_ROOT,
        cache: NodeCache | None = None,
    ) -> None:
        if len(root_hash) != HASH_SIZE:
            raise ValueError("a root hash is 32 bytes")
        self._reader = nodes
        self._root = bytes(root_hash)
        self._committed_root = self._root
        self._cache = cache if cache is not None else NodeCache()
        # Node writes of apply() calls that the caller has not yet persisted, oldest first.
        self._pending: list[tuple[dict[bytes, bytes | None], list[bytes]]] = []

    @classmethod
    def at(cls, nodes: NodeReader, root_hash: bytes, cache: NodeCache | None = None) -> MerkleTree:
        """Open a read-only view of the tree with this root (for queries on a snapshot)."""
        return cls(nodes, root_hash, cache)

    @property
    def root_hash(self) -> bytes:
        """The root after the last `apply` (committed or not)."""
        return self._root

    @property
    def cache(self) -> NodeCache:
        """The node cache, to share with read-only views of the same database."""
        return self._cache

    def committed(self) -> None:
        """Forget the pending nodes: the caller has persisted every `TreeUpdate` so far."""
        for writes, pruned in self._pending:
            self._cache.remember(writes, pruned)
        self._pending = []
        self._committed_root = self._root

    def discard(self) -> None:
        """Drop every `apply` since the last `committed` (or since opening): back to that root.

        For a block that will not be committed (CometBFT executes it again); the node
        cache is kept, and the discarded updates' node writes must not be persisted.
        """
        self._pending = []
        self._root = self._committed_root

    def _load(self, node_hash: bytes) -> bytes:
        """A node's encoding: from the cache, the pending writes, or the store."""
        encoded = self._cache.get(node_hash)
        if encoded is not None:
            return encoded
        for writes, _ in reversed(self._pending):
            encoded = writes.get(node_hash)
            if encoded is not None:
                return encoded
        encoded = self._reader.get(node_hash)
        if encoded is None:
            raise MissingNodeError(node_hash.hex())
        if len(encoded) != NODE_SIZE:
            raise MissingNodeError(f"node {node_hash.hex()} has a malformed encoding")
        self._cache.put(node_hash, encoded)
        return encoded

    def apply(self, changes: Mapping[bytes, bytes | None]) -> TreeUpdate:
        """Apply one block's changes (state key -> new value, None = delete) at once.

        Every touched node is hashed once. Deleting an absent key or setting a key to
        its current value changes nothing. Raises MissingNodeError when the reader lacks
        a node of the current tree.
        """
        if not changes:
            return TreeUpdate(self._root, {})
        entries = sorted(
            (sha256(key).digest(), None if value is None else sha256(value).digest())
            for key, value in changes.items()
        )
        paths = [entry[0] for entry in entries]
        value_hashes = [entry[1] for entry in entries]
        ints = [int.from_bytes(path, "big") for path in paths]
        # Nodes made by this call, and old nodes it replaced (deleted unless made again).
        writes: dict[bytes, bytes | None] = {}
        pruned: list[bytes] = []
        prune = pruned.append
        cache_get = self._cache.get
        load = self._load
        zero = _ZERO
        internal_prefix = _INTERNAL_PREFIX
        leaf_prefix = _LEAF_PREFIX

        def store(encoded: bytes) -> bytes:
            node_hash = sha256(encoded).digest()
            writes[node_hash] = encoded
            return node_hash

        def collapse(left: bytes, right: bytes) -> bytes:
            # At least one child is empty: a subtree left with a single leaf is that leaf.
            only = right if left == zero else left
            if only == zero:
                return zero
            encoded = writes.get(only) or load(only)
            if encoded[0] == LEAF_TAG:
                return only
            return store(internal_prefix + left + right)

        def build(depth: int, items: list[tuple[int, bytes, bytes, bytes | None]]) -> bytes:
            # Build a fresh subtree at `depth` from sorted (int path, path, value hash,
            # existing leaf hash or None) items that share the first `depth` bits.
            count = len(items)
            if count == 0:
                return zero
            if count == 1:
                item = items[0]
                existing = item[3]
                if existing is not None:
                    return existing
                return store(leaf_prefix + item[1] + item[2])
            first = items[0][0]
            split_depth = _MAX_DEPTH - (first ^ items[-1][0]).bit_length()
            shift = 255 - split_depth
            split = bisect_left(items, (((first >> shift) | 1) << shift,))
            node = store(
                internal_prefix
                + build(split_depth + 1, items[:split])
                + build(split_depth + 1, items[split:])
            )
            # The levels above the split hold a single non-empty child each.
            for level in range(split_depth - 1, depth - 1, -1):
                if (first >> (255 - level)) & 1:
                    node = store(internal_prefix + zero + node)
                else:
                    node = store(internal_prefix + node + zero)
            return node

        def insert_items(lo: int, hi: int) -> list[tuple[int, bytes, bytes, bytes | None]]:
            return [
                (ints[i], paths[i], value_hash, None)
                for i in range(lo, hi)
                if (value_hash := value_hashes[i]) is not None
            ]

        def merge_leaf(node_hash: bytes, encoded: bytes, depth: int, lo: int, hi: int) -> bytes:
            # An existing leaf meets several changes: rebuild the subtree from both.
            leaf_path = encoded[1:33]
            leaf_int = int.from_bytes(leaf_path, "big")
            at = bisect_left(ints, leaf_int, lo, hi)
            if at < hi and ints[at] == leaf_int:
                new_value_hash = value_hashes[at]
                if new_value_hash != encoded[33:]:
                    prune(node_hash)
                    return build(depth, insert_items(lo, hi))
                items = insert_items(lo, at)
                items.append((leaf_int, leaf_path, encoded[33:], node_hash))
                items.extend(insert_items(at + 1, hi))
                return build(depth, items)
            items = insert_items(lo, at)
            items.append((leaf_int, leaf_path, encoded[33:], node_hash))
            items.extend(insert_items(at, hi))
            return build(depth, items)

        def update_one(node_hash: bytes, depth: int, index: int) -> bytes:
            # update() for a single change, as a loop: down to the leaf, then back up.
            path = paths[index]
            path_int = ints[index]
            value_hash = value_hashes[index]
            pruned_before = len(pruned)
            trail: list[bytes] = []  # encodings of the internal nodes passed, top first
            shift = 255 - depth
            node = node_hash
            while node != zero:
                encoded = cache_get(node) or load(node)
                if encoded[0] == LEAF_TAG:
                    if encoded[1:33] == path:
                        if value_hash == encoded[33:]:
                            del pruned[pruned_before:]
                            return node_hash
                        prune(node)
                        new = zero if value_hash is None else store(leaf_prefix + path + value_hash)
                    else:
                        new = merge_leaf(node, encoded, 255 - shift, index, index + 1)
                        if new == node:
                            del pruned[pruned_before:]
                            return node_hash
                    break
                prune(node)
                trail.append(encoded)
                node = encoded[33:] if (path_int >> shift) & 1 else encoded[1:33]
                shift -= 1
            else:
                if value_hash is None:
                    del pruned[pruned_before:]
                    return node_hash
                new = store(leaf_prefix + path + value_hash)
            for encoded in reversed(trail):
                shift += 1
                if (path_int >> shift) & 1:
                    sibling = encoded[1:33]
                    if new == zero or sibling == zero:
                        new = collapse(sibling, new)
                        continue
                    encoded = internal_prefix + sibling + new
                else:
                    sibling = encoded[33:]
                    if new == zero or sibling == zero:
                        new = collapse(new, sibling)
                        continue
                    encoded = internal_prefix + new + sibling
                new = sha256(encoded).digest()
                writes[new] = encoded
            return new

        def update(node_hash: bytes, depth: int, lo: int, hi: int) -> bytes:
            # The new hash of the subtree `node_hash` at `depth` after changes lo..hi.
            if hi - lo == 1:
                return update_one(node_hash, depth, lo)
            if node_hash == zero:
                return build(depth, insert_items(lo, hi))
            encoded = cache_get(node_hash) or load(node_hash)
            if encoded[0] == LEAF_TAG:
                return merge_leaf(node_hash, encoded, depth, lo, hi)
            shift = 255 - depth
            first = ints[lo]
            if (first >> shift) & 1:
                right = encoded[33:]
                new_right = update(right, depth + 1, lo, hi)
                if new_right == right:
                    return node_hash
                new_left = encoded[1:33]
            elif not (ints[hi - 1] >> shift) & 1:
                left = encoded[1:33]
                new_left = update(left, depth + 1, lo, hi)
                if new_left == left:
                    return node_hash
                new_right = encoded[33:]
            else:
                mid = bisect_left(ints, ((first >> shift) | 1) << shift, lo, hi)
                left = encoded[1:33]
                right = encoded[33:]
                new_left = update(left, depth + 1, lo, mid)
                new_right = update(right, depth + 1, mid, hi)
                if new_left == left and new_right == right:
                    return node_hash
            prune(node_hash)
            if new_left == zero or new_right == zero:
                return collapse(new_left, new_right)
            encoded = internal_prefix + new_left + new_right
            new_hash = sha256(encoded).digest()
            writes[new_hash] = encoded
            return new_hash

        self._root = update(self._root, 0, 0, len(entries))
        # Deletions first, so that a node both replaced and made again is kept.
        node_writes: dict[bytes, bytes | None] = dict.fromkeys(pruned)
        node_writes.update(writes)
        self._pending.append((node_writes, pruned))
        return TreeUpdate(self._root, node_writes.copy())

    def get_value_hash(self, key: bytes) -> bytes | None:
        """The sha256 of the value stored under ``key``, or None when the key is absent."""
        path = sha256(key).digest()
        path_int = int.from_bytes(path, "big")
        node_hash = self._root
        depth = 0
        while node_hash != _ZERO:
            encoded = self._load(node_hash)
            if encoded[0] == LEAF_TAG:
                return encoded[33:] if encoded[1:33] == path else None
            node_hash = encoded[33:] if (path_int >> (255 - depth)) & 1 else encoded[1:33]
            depth += 1
        return None

    def prove(self, key: bytes) -> Proof:
        """An existence proof when ``key`` is present, an absence proof otherwise."""
        path = sha256(key).digest()
        path_int = int.from_bytes(path, "big")
        siblings: list[bytes] = []
        node_hash = self._root
        depth = 0
        while node_hash != _ZERO:
            encoded = self._load(node_hash)
            if encoded[0] == LEAF_TAG:
                leaf_path = encoded[1:33]
                if leaf_path == path:
                    return Proof(ProofKind.EXISTS, tuple(siblings))
                return Proof(ProofKind.ABSENT_LEAF, tuple(siblings), leaf_path, encoded[33:])
            if (path_int >> (255 - depth)) & 1:
                siblings.append(encoded[1:33])
                node_hash = encoded[33:]
            else:
                siblings.append(encoded[33:])
                node_hash = encoded[1:33]
            depth += 1
        return Proof(ProofKind.ABSENT_EMPTY, tuple(siblings))


class ProofKind:
    """What a proof's path ends in: the proven leaf, an empty subtree, or another leaf."""

    ABSENT_EMPTY = 0
    EXISTS = 1
    ABSENT_LEAF = 2


@dataclass(frozen=True)
class Proof:
    """A Merkle path from the root towards ``sha256(key)``.

    ``siblings[d]`` is the sibling hash at depth ``d`` (the root's child is depth 0),
    32 zero bytes for an empty sibling. The path ends in the key's own leaf (EXISTS),
    in an empty subtree (ABSENT_EMPTY), or in the leaf of another key whose path shares
    the first ``len(siblings)`` bits (ABSENT_LEAF, with that leaf's path and value hash).
    """

    kind: int
    siblings: tuple[bytes, ...]
    other_path: bytes = b""
    other_value_hash: bytes = b""

    def to_bytes(self) -> bytes:
        """The canonical encoding (docs/merkle.md, "Proof encoding")."""
        depth = len(self.siblings)
        bitmap = bytearray((depth + 7) // 8)
        present: list[bytes] = []
        for index, sibling in enumerate(self.siblings):
            if sibling != _ZERO:
                bitmap[index >> 3] |= 0x80 >> (index & 7)
                present.append(sibling)
        tail = self.other_path + self.other_value_hash
        return b"".join((bytes([self.kind]), depth.to_bytes(2, "big"), bitmap, *present, tail))

    @classmethod
    def from_bytes(cls, data: bytes) -> Proof:
        """Decode a proof; raises ProofError unless ``data`` is a canonical encoding."""
        if len(data) < 3:
            raise ProofError("proof is shorter than its header")
        kind = data[0]
        if kind not in (ProofKind.ABSENT_EMPTY, ProofKind.EXISTS, ProofKind.ABSENT_LEAF):
            raise ProofError(f"unknown proof kind {kind}")
        depth = int.from_bytes(data[1:3], "big")
        if depth > _MAX_DEPTH:
            raise ProofError(f"proof depth {depth} exceeds 256")
        bitmap_end = 3 + (depth + 7) // 8
        bitmap = data[3:bitmap_end]
        if len(bitmap) != (depth + 7) // 8:
            raise ProofError("proof is shorter than its sibling bitmap")
        if depth % 8 and bitmap[-1] & (0xFF >> (depth % 8)):
            raise ProofError("proof bitmap has padding bits set")
        present = sum(byte.bit_count() for byte in bitmap)
        tail = 2 * HASH_SIZE if kind == ProofKind.ABSENT_LEAF else 0
        if len(data) != bitmap_end + present * HASH_SIZE + tail:
            raise ProofError("proof length does not match its header")
        siblings: list[bytes] = []
        offset = bitmap_end
        for index in range(depth):
            if bitmap[index >> 3] & (0x80 >> (index & 7)):
                sibling = data[offset : offset + HASH_SIZE]
                if sibling == _ZERO:
                    raise ProofError("an empty sibling is marked present")
                siblings.append(sibling)
                offset += HASH_SIZE
            else:
                siblings.append(_ZERO)
        if kind == ProofKind.ABSENT_LEAF:
            return cls(
                kind,
                tuple(siblings),
                bytes(data[offset : offset + HASH_SIZE]),
                bytes(data[offset + HASH_SIZE :]),
            )
        return cls(kind, tuple(siblings))


def _common_prefix_bits(first: bytes, second: bytes) -> int:
    difference = int.from_bytes(first, "big") ^ int.from_bytes(second, "big")
    return _MAX_DEPTH - difference.bit_length()


def verify_proof(root_hash: bytes, key: bytes, value: bytes | None, proof: Proof) -> bool:
    """Whether ``proof`` shows ``key`` holding ``value`` (None: absent) under ``root_hash``.

    Never raises: any proof that does not prove exactly this claim gives False.
    """
    try:
        return _verify(root_hash, key, value, proof)
    except Exception:
        return False


def _verify(root_hash: bytes, key: bytes, value: bytes | None, proof: Proof) -> bool:
    if len(root_hash) != HASH_SIZE:
        return False
    siblings = proof.siblings
    depth = len(siblings)
    if depth > _MAX_DEPTH:
        return False
    path = sha256(key).digest()
    if value is not None:
        if proof.kind != ProofKind.EXISTS or proof.other_path or proof.other_value_hash:
            return False
        node = sha256(_LEAF_PREFIX + path + sha256(value).digest()).digest()
    elif proof.kind == ProofKind.ABSENT_EMPTY:
        if proof.other_path or proof.other_value_hash:
            return False
        node = _ZERO
    elif proof.kind == ProofKind.ABSENT_LEAF:
        other_path = proof.other_path
        if len(other_path) != HASH_SIZE or len(proof.other_value_hash) != HASH_SIZE:
            return False
        if other_path == path or _common_prefix_bits(other_path, path) < depth:
            return False
        node = sha256(_leaf_encoding(other_path, proof.other_value_hash)).digest()
    else:
        return False
    path_int = int.from_bytes(path, "big")
    for level in range(depth - 1, -1, -1):
        sibling = siblings[level]
        if len(sibling) != HASH_SIZE:
            return False
        if (path_int >> (255 - level)) & 1:
            node = sha256(_INTERNAL_PREFIX + sibling + node).digest()
        else:
            node = sha256(_INTERNAL_PREFIX + node + sibling).digest()
    return node == root_hash
