"""One conformance suite for every store backend: the layers must behave like a sorted map."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from chain import store as store_module
from chain.store import (
    CommitStore,
    KVStore,
    MemoryStore,
    Overlay,
    iterate_prefix,
    prefix_end,
)


def _memory(tmp: Path) -> KVStore:
    return MemoryStore()


def _overlay_on_memory(tmp: Path) -> KVStore:
    return Overlay(MemoryStore({b"zz-parent": b"p"}))


def _block_overlay_on_leveldb(tmp: Path) -> KVStore:
    store = CommitStore(tmp / "db")
    return store.begin_block()


BACKENDS: dict[str, Callable[[Path], KVStore]] = {
    "memory": _memory,
    "overlay": _overlay_on_memory,
    "leveldb-block": _block_overlay_on_leveldb,
}


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KVStore]:
    yield BACKENDS[request.param](tmp_path)


def test_get_set_delete(store: KVStore) -> None:
    assert store.get(b"a") is None
    store.set(b"a", b"1")
    assert store.get(b"a") == b"1"
    store.set(b"a", b"2")
    assert store.get(b"a") == b"2"
    store.delete(b"a")
    assert store.get(b"a") is None
    store.delete(b"never")


def test_iteration_is_in_byte_order_with_half_open_bounds(store: KVStore) -> None:
    for key in (b"b", b"a", b"\x00", b"ab", b"c", b"\xff"):
        store.set(key, key)
    keys = [k for k, _ in store.iterate(b"a", b"c")]
    assert keys == [b"a", b"ab", b"b"]
    assert [k for k, _ in store.iterate(b"a", b"c", reverse=True)] == [b"b", b"ab", b"a"]
    assert [k for k, _ in iterate_prefix(store, b"a")] == [b"a", b"ab"]


def test_prefix_end() -> None:
    assert prefix_end(b"a") == b"b"
    assert prefix_end(b"a\xff") == b"b"
    assert prefix_end(b"\xff\xff") is None


@settings(max_examples=examples(60))
@given(
    st.lists(
        st.tuples(st.binary(min_size=1, max_size=3), st.one_of(st.none(), st.binary(max_size=3))),
        max_size=40,
    ),
    st.lists(
        st.tuples(st.binary(min_size=1, max_size=3), st.one_of(st.none(), st.binary(max_size=3))),
        max_size=40,
    ),
)
def test_overlay_over_leveldb_matches_a_plain_dict(
    tmp_path_factory: pytest.TempPathFactory,
    committed_ops: list[tuple[bytes, bytes | None]],
    block_ops: list[tuple[bytes, bytes | None]],
) -> None:
    store = CommitStore(tmp_path_factory.mktemp("db"))
    model: dict[bytes, bytes] = {}
    for ops in (committed_ops, block_ops):
        block = store.begin_block()
        for key, value in ops:
            if value is None:
                block.delete(key)
                model.pop(key, None)
            else:
                block.set(key, value)
                model[key] = value
        store.finalize(block)
        store.commit(store.last.height + 1)
    reader = store.query_view()[0]
    assert list(reader.iterate()) == sorted(model.items())
    assert list(reader.iterate(reverse=True)) == sorted(model.items(), reverse=True)
    tx = Overlay(store.begin_block())
    tx.set(b"\x01new", b"n")
    tx.delete(next(iter(sorted(model)), b"\x00"))
    expected = dict(model)
    expected[b"\x01new"] = b"n"
    expected.pop(next(iter(sorted(model)), b"\x00"), None)
    assert list(tx.iterate()) == sorted(expected.items())
    store.close()


def test_commit_is_atomic_and_survives_reopening(tmp_path: Path) -> None:
    store = CommitStore(tmp_path / "db")
    block = store.begin_block()
    block.set(b"k", b"v")
    app_hash = store.finalize(block)
    store.commit(1)
    store.close()
    reopened = CommitStore(tmp_path / "db")
    assert reopened.last.height == 1
    assert reopened.last.app_hash == app_hash
    assert reopened.committed().get(b"k") == b"v"
    reopened.close()


def test_finalized_but_uncommitted_work_is_not_on_disk(tmp_path: Path) -> None:
    store = CommitStore(tmp_path / "db")
    block = store.begin_block()
    block.set(b"k", b"v")
    store.finalize(block)
    store.close()  # a crash between FinalizeBlock and Commit
    reopened = CommitStore(tmp_path / "db")
    assert reopened.last.height == 0
    assert reopened.committed().get(b"k") is None
    reopened.close()


def _commit(store: CommitStore, height: int, writes: dict[bytes, bytes | None]) -> None:
    block = store.begin_block()
    for key, value in writes.items():
        if value is None:
            block.delete(key)
        else:
            block.set(key, value)
    store.finalize(block)
    store.commit(height)


def test_reads_of_committed_state_see_each_commit_and_never_an_older_one(
    tmp_path: Path,
) -> None:
    """The committed-read cache: after each commit, CheckTx's view and the next block see
    the new values (deleted keys gone, new keys there); a view of the previous commit that
    remembers a value it read just before the commit cannot put it where the next block
    reads."""
    store = CommitStore(tmp_path / "db")
    _commit(store, 1, {b"balance": b"100", b"gone": b"x"})
    before = store.committed()
    assert before.get(b"balance") == b"100"
    assert before.get(b"new") is None  # remembered as absent
    _commit(store, 2, {b"balance": b"90", b"gone": None, b"new": b"n", b"late": b"2"})
    # A CheckTx thread that read `balance` from LevelDB just before the commit finishes
    # its read just after it and remembers what it read in its (old) view.
    before._cache[b"balance"] = b"100"
    for view in (store.committed(), store.begin_block()):
        assert view.get(b"balance") == b"90"
        assert view.get(b"gone") is None
        assert view.get(b"new") == b"n"
        assert view.get(b"late") == b"2"
    store.close()
    reopened = CommitStore(tmp_path / "db")
    assert reopened.committed().get(b"balance") == b"90"
    reopened.close()


def test_the_committed_read_cache_stays_within_its_bounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block that writes more keys than the cache holds, and values too large to keep,
    still read back exactly; the cache never grows past its entry bound."""
    monkeypatch.setattr(store_module, "COMMITTED_CACHE_ENTRIES", 8)
    monkeypatch.setattr(store_module, "COMMITTED_CACHE_VALUE_BYTES", 4)
    store = CommitStore(tmp_path / "db")
    writes: dict[bytes, bytes | None] = {b"k%02d" % i: b"v%02d" % i for i in range(20)}
    writes[b"big"] = b"0123456789"
    _commit(store, 1, writes)
    view = store.committed()
    for key, value in writes.items():
        assert view.get(key) == value
    assert len(store._committed_cache) <= 8
    _commit(store, 2, {b"big": b"tiny", b"k00": None})
    view = store.committed()
    assert view.get(b"big") == b"tiny"
    assert view.get(b"k00") is None
    assert all(view.get(b"k%02d" % i) == b"v%02d" % i for i in range(1, 20))
    assert len(store._committed_cache) <= 8
    store.close()


_KEYS = st.binary(min_size=1, max_size=2)


@settings(max_examples=examples(80))
@given(
    st.dictionaries(_KEYS, st.binary(max_size=2), max_size=10),
    st.lists(
        st.tuples(
            st.sampled_from(["set", "delete", "iterate", "write-while-iterating"]),
            _KEYS,
            _KEYS,
            st.booleans(),
        ),
        max_size=40,
    ),
)
def test_overlay_interleaving_writes_and_iterations_matches_a_plain_dict(
    parent_items: dict[bytes, bytes], steps: list[tuple[str, bytes, bytes, bool]]
) -> None:
    """The overlay keeps its keys sorted across writes: every range read, including one
    written to half-way, sees exactly the keys there were when it started."""
    overlay = Overlay(MemoryStore(parent_items))
    model = dict(parent_items)

    def expected(start: bytes, end: bytes, reverse: bool) -> list[tuple[bytes, bytes]]:
        return sorted(((k, v) for k, v in model.items() if start <= k < end), reverse=reverse)

    for action, first, second, reverse in steps:
        start, end = min(first, second), max(first, second)
        if action == "set":
            overlay.set(first, second)
            model[first] = second
        elif action == "delete":
            overlay.delete(first)
            model.pop(first, None)
        elif action == "iterate":
            assert list(overlay.iterate(start, end, reverse)) == expected(start, end, reverse)
        elif before := expected(start, end, reverse):
            running = overlay.iterate(start, end, reverse)
            seen = [next(running)]  # the iteration has started: its keys are fixed
            for new_key in (b"\x00" + first, first + b"\x00", start + b"\x01"):
                overlay.set(new_key, b"w")
            seen.extend(running)
            assert [k for k, _ in seen] == [k for k, _ in before]
            for new_key in (b"\x00" + first, first + b"\x00", start + b"\x01"):
                model[new_key] = b"w"
    assert list(overlay.iterate()) == sorted(model.items())
