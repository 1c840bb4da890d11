"""Benchmark of the authenticated state tree (prints figures; not a test).

Run: .venv/bin/python bench/merkle.py [--sizes 10000,100000,1000000] [--batch 1000]

For each tree size N it builds a tree of N keys in memory (a dict node store, in
batches of 100,000 changes, persisting and committing each), then times blocks of
`--batch` changed keys (half updates of existing keys, half inserts of new ones),
and the time to prove and verify a key.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chain.merkle import MerkleTree, TreeUpdate, verify_proof

BUILD_BATCH = 100_000
BLOCKS_TIMED = 5


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


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def bench_size(size: int, batch: int) -> None:
    nodes: dict[bytes, bytes] = {}
    tree = MerkleTree(nodes)
    started = time.perf_counter()
    for start in range(0, size, BUILD_BATCH):
        stop = min(size, start + BUILD_BATCH)
        persist(nodes, tree.apply({key_of(i): value_of(i, 0) for i in range(start, stop)}))
        tree.committed()
    build_seconds = time.perf_counter() - started
    print(
        f"N={size:>9,}: built in {build_seconds:6.1f} s "
        f"({build_seconds / size * 1e6:5.1f} us/key), {len(nodes):,} nodes stored"
    )

    next_new = size
    versions: dict[int, int] = {}
    apply_times = []
    for block in range(1, BLOCKS_TIMED + 1):
        changes: dict[bytes, bytes | None] = {}
        stride = max(1, size // (batch // 2))
        for j in range(batch // 2):
            existing = (j * stride + block * 7919) % size
            changes[key_of(existing)] = value_of(existing, block)
            versions[existing] = block
        for _ in range(batch - len(changes)):
            changes[key_of(next_new)] = value_of(next_new, block)
            next_new += 1
        started = time.perf_counter()
        update = tree.apply(changes)
        apply_times.append(time.perf_counter() - started)
        persist(nodes, update)
        tree.committed()
    best = min(apply_times)
    median = sorted(apply_times)[len(apply_times) // 2]
    print(
        f"    apply {batch} changes: best {best * 1e3:6.1f} ms ({best / batch * 1e6:5.1f} us/key), "
        f"median {median * 1e3:6.1f} ms ({median / batch * 1e6:5.1f} us/key)"
    )

    indices = [(i * 104_729) % size for i in range(1000)]
    probes = [key_of(index) for index in indices]
    started = time.perf_counter()
    proofs = [tree.prove(key) for key in probes]
    prove_seconds = time.perf_counter() - started
    encoded = [proof.to_bytes() for proof in proofs]
    started = time.perf_counter()
    verified = sum(
        verify_proof(tree.root_hash, key_of(index), value_of(index, versions.get(index, 0)), proof)
        for index, proof in zip(indices, proofs, strict=True)
    )
    verify_seconds = time.perf_counter() - started
    mean_depth = sum(len(proof.siblings) for proof in proofs) / len(proofs)
    mean_size = sum(len(data) for data in encoded) / len(encoded)
    print(
        f"    prove {prove_seconds / len(probes) * 1e6:5.1f} us, "
        f"verify {verify_seconds / len(probes) * 1e6:5.1f} us per key "
        f"({verified}/{len(probes)} verified, mean depth {mean_depth:.1f}, "
        f"mean proof {mean_size:.0f} bytes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {cpu_model()}")
    for size in (int(text) for text in args.sizes.split(",")):
        bench_size(size, args.batch)


if __name__ == "__main__":
    main()
