"""Benchmark of the authenticated state tree (prints figures; not a test).

Run: .venv/bin/python bench/merkle.py [--sizes 10000,100000,1000000] [--batch 1000]
                                       [--blocks 10] [--repeat 3] [--leveldb 100000]

For each tree size N it builds a tree of N keys in memory (a dict node store, in
batches of 250,000 changes, persisting and committing each), then times `--blocks`
blocks of `--batch` changed keys (half updates of existing keys, half inserts of new
ones), and the time to prove and verify a key. Each block is timed on the wall clock and
on this thread's CPU clock, best of `--repeat` runs of that block (dry runs on views that
share the node cache): on a shared machine the CPU figure is the steadier one.
With `--leveldb N` it also builds N keys in a LevelDB store and times blocks against it,
with a cold node cache (a freshly opened tree) and a warm one, including the write batch.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import plyvel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import cpu_model
from chain.merkle import MerkleTree, NodeReader, TreeUpdate, verify_proof

BUILD_BATCH = 250_000


def key_of(index: int) -> bytes:
    return b"bank/balances/" + index.to_bytes(8, "big")


def value_of(index: int, version: int) -> bytes:
    return index.to_bytes(8, "big") + version.to_bytes(8, "big") + b"ugpc"


def persist(nodes: dict[bytes, bytes], update: TreeUpdate) -> None:
    for key, encoded in update.node_writes.items():
        if encoded is None:
            nodes.pop(key, None)
        else:
            nodes[key] = encoded


class Workload:
    """Blocks of changes over a tree of `size` keys: half updates, half inserts."""

    def __init__(self, size: int, batch: int) -> None:
        self.size = size
        self.batch = batch
        self.next_new = size
        self.versions: dict[int, int] = {}

    def block(self, number: int) -> dict[bytes, bytes | None]:
        changes: dict[bytes, bytes | None] = {}
        updates = self.batch // 2
        stride = max(1, self.size // updates)
        for j in range(updates):
            existing = (j * stride + number * 7919) % self.size
            changes[key_of(existing)] = value_of(existing, number)
            self.versions[existing] = number
        while len(changes) < self.batch:
            changes[key_of(self.next_new)] = value_of(self.next_new, number)
            self.next_new += 1
        return changes

    def value(self, index: int) -> bytes:
        return value_of(index, self.versions.get(index, 0))


def summary(label: str, seconds: list[float], batch: int) -> str:
    ordered = sorted(seconds)
    best = ordered[0]
    median = ordered[len(ordered) // 2]
    return (
        f"{label} best {best * 1e3:6.1f} ms ({best / batch * 1e6:5.1f} us/key), "
        f"median {median * 1e3:6.1f} ms ({median / batch * 1e6:5.1f} us/key)"
    )


def time_blocks(
    tree: MerkleTree,
    reader: NodeReader,
    workload: Workload,
    blocks: int,
    persist_update: Callable[[TreeUpdate], None],
    first_block: int = 1,
    repeat: int = 1,
) -> tuple[list[float], list[float], list[float], int]:
    wall: list[float] = []
    cpu: list[float] = []
    commit: list[float] = []
    writes = 0
    for number in range(first_block, first_block + blocks):
        changes = workload.block(number)
        # Dry runs of the same block on views sharing the cache: the best of `repeat`
        # runs filters out the time other processes take on a shared machine.
        best_wall = best_cpu = float("inf")
        for attempt in range(repeat):
            view = (
                tree
                if attempt == repeat - 1
                else MerkleTree.at(reader, tree.root_hash, cache=tree.cache)
            )
            started_wall = time.perf_counter()
            started_cpu = time.thread_time()
            update = view.apply(changes)
            best_cpu = min(best_cpu, time.thread_time() - started_cpu)
            best_wall = min(best_wall, time.perf_counter() - started_wall)
        cpu.append(best_cpu)
        wall.append(best_wall)
        writes += len(update.node_writes)
        started_wall = time.perf_counter()
        persist_update(update)
        tree.committed()
        commit.append(time.perf_counter() - started_wall)
    return wall, cpu, commit, writes // blocks


def bench_memory(size: int, batch: int, blocks: int, repeat: int) -> None:
    nodes: dict[bytes, bytes] = {}
    tree = MerkleTree(nodes)
    started = time.perf_counter()
    for start in range(0, size, BUILD_BATCH):
        stop = min(size, start + BUILD_BATCH)
        persist(nodes, tree.apply({key_of(i): value_of(i, 0) for i in range(start, stop)}))
        tree.committed()
    build_seconds = time.perf_counter() - started
    print(
        f"N={size:>9,} in memory: built in {build_seconds:5.1f} s "
        f"({build_seconds / size * 1e6:4.1f} us/key), {len(nodes):,} nodes stored"
    )
    workload = Workload(size, batch)
    wall, cpu, commit, writes = time_blocks(
        tree, nodes, workload, blocks, lambda u: persist(nodes, u), repeat=repeat
    )
    print("    " + summary(f"apply {batch} changes, cpu: ", cpu, batch))
    print("    " + summary(f"apply {batch} changes, wall:", wall, batch))
    print(
        f"    {writes:,} node writes per block; persist + committed() median "
        f"{sorted(commit)[len(commit) // 2] * 1e3:.1f} ms"
    )
    bench_proofs(tree, workload, nodes)


def bench_proofs(tree: MerkleTree, workload: Workload, nodes: NodeReader) -> None:
    indices = [(i * 104_729) % workload.size for i in range(1000)]
    probes = [key_of(index) for index in indices]
    fresh = MerkleTree(nodes, tree.root_hash)
    started = time.perf_counter()
    cold = [fresh.prove(key) for key in probes]
    cold_seconds = time.perf_counter() - started
    started = time.perf_counter()
    proofs = [tree.prove(key) for key in probes]
    prove_seconds = time.perf_counter() - started
    encoded = [proof.to_bytes() for proof in proofs]
    assert cold == proofs
    started = time.perf_counter()
    verified = sum(
        verify_proof(tree.root_hash, key_of(index), workload.value(index), proof)
        for index, proof in zip(indices, proofs, strict=True)
    )
    verify_seconds = time.perf_counter() - started
    assert verified == len(probes)
    mean_depth = sum(len(proof.siblings) for proof in proofs) / len(proofs)
    mean_size = sum(len(data) for data in encoded) / len(encoded)
    print(
        f"    prove {prove_seconds / len(probes) * 1e6:5.1f} us "
        f"(cold cache {cold_seconds / len(probes) * 1e6:5.1f} us), "
        f"verify {verify_seconds / len(probes) * 1e6:5.1f} us per key; "
        f"mean depth {mean_depth:.1f}, mean proof {mean_size:.0f} bytes"
    )


def bench_leveldb(size: int, batch: int, blocks: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        db = plyvel.DB(directory, create_if_missing=True)

        def write(update: TreeUpdate) -> None:
            with db.write_batch(transaction=True) as write_batch:
                for key, encoded in update.node_writes.items():
                    if encoded is None:
                        write_batch.delete(key)
                    else:
                        write_batch.put(key, encoded)

        tree = MerkleTree(db)
        started = time.perf_counter()
        for start in range(0, size, BUILD_BATCH):
            stop = min(size, start + BUILD_BATCH)
            write(tree.apply({key_of(i): value_of(i, 0) for i in range(start, stop)}))
            tree.committed()
        build_seconds = time.perf_counter() - started
        print(f"N={size:>9,} in LevelDB: built in {build_seconds:5.1f} s")
        workload = Workload(size, batch)
        cold_wall: list[float] = []
        for number in range(1, blocks + 1):
            cold_tree = MerkleTree(db, tree.root_hash)  # an empty cache: every read hits LevelDB
            started = time.perf_counter()
            update = cold_tree.apply(workload.block(number))
            cold_wall.append(time.perf_counter() - started)
            write(update)
            tree = cold_tree
            tree.committed()
        print("    " + summary(f"apply {batch} changes, cold cache, wall:", cold_wall, batch))
        wall, _, commit, writes = time_blocks(tree, db, workload, blocks, write, blocks + 1, repeat)
        print("    " + summary(f"apply {batch} changes, warm cache, wall:", wall, batch))
        print(
            f"    {writes:,} node writes per block; write batch + committed() median "
            f"{sorted(commit)[len(commit) // 2] * 1e3:.1f} ms"
        )
        bench_proofs(tree, workload, db)
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each block on a warm cache; best is kept"
    )
    parser.add_argument("--leveldb", default="100000", help="sizes to run on LevelDB, or ''")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {cpu_model()}, "
        f"load average {load:.2f}"
    )
    for size in (int(text) for text in args.sizes.split(",") if text):
        bench_memory(size, args.batch, args.blocks, args.repeat)
    for size in (int(text) for text in args.leveldb.split(",") if text):
        bench_leveldb(size, args.batch, args.blocks, args.repeat)


if __name__ == "__main__":
    main()
