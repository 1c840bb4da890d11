"""An open-loop transaction load against CometBFT's RPC, and a watcher of committed blocks.

The load sends pre-built `broadcast_tx_sync` requests on a few keep-alive HTTP/1.1
connections from one asyncio loop, each tx at its scheduled time (`t0 + index / rate`),
so the generator stays cheap next to the node it measures. A sender's txs always go on
the same connection, one request at a time, so its sequences reach the mempool in order.

The watcher polls `/block_results?height=N`: CometBFT stores a height's results only
after the app has executed it (`/block` is stored earlier, before execution), so the
first time results are seen is the commit time we charge each tx with. Txs are matched
to their broadcast by sha256 (CometBFT's tx hash).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

POLL_SECONDS = 0.02


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, object]:
    memory_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of pid and its live descendants (0 when it is gone)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except (OSError, IndexError, ValueError):
            continue
    return total


def tx_hash(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()


def request_bytes(raw: bytes) -> bytes:
    """A complete keep-alive HTTP POST of broadcast_tx_sync for one tx."""
    body = (
        b'{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"'
        + base64.b64encode(raw)
        + b'"}}'
    )
    return (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in head.split(b"\r\n"):
        lowered = line.lower()
        if lowered.startswith(b"content-length:"):
            length = int(line[15:])
        elif lowered.startswith(b"transfer-encoding:") and b"chunked" in lowered:
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    # Go's server chunks replies too big to buffer (e.g. /block of a full block).
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _get(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str
) -> dict[str, object]:
    reader, writer = connection
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    _, body = await _read_response(reader)
    reply: dict[str, object] = json.loads(body)
    return reply


@dataclass
class Block:
    height: int
    seen: float  # time.monotonic() when its results were first seen
    tx_hashes: list[bytes]
    codes: list[int]


@dataclass
class LoadResult:
    """What one run saw: per-tx send times and CheckTx verdicts, and the committed blocks."""

    start: float
    duration: float
    sent_at: list[float]
    check_codes: list[int | None]  # None: not sent; -1: RPC error (e.g. mempool full)
    check_logs: dict[str, int]
    blocks: list[Block]
    generator_cpu_seconds: float
    node_cpu_seconds: float
    first_height: int
    hashes: list[bytes] = field(repr=False, default_factory=list)

    def figures(self) -> dict[str, object]:
        end = self.start + self.duration
        index_of = {digest: index for index, digest in enumerate(self.hashes)}
        sent = sum(1 for t in self.sent_at if t > 0)
        sent_in_window = sum(1 for t in self.sent_at if self.start <= t <= end)
        accepted = sum(1 for code in self.check_codes if code == 0)
        rejected = sum(1 for code in self.check_codes if code not in (None, 0))
        committed_in_window = 0
        committed = failed = foreign = 0
        latencies = []
        block_sizes = []
        for block in self.blocks:
            in_window = self.start <= block.seen <= end
            if in_window:
                committed_in_window += len(block.tx_hashes)
                block_sizes.append(len(block.tx_hashes))
            for digest, code in zip(block.tx_hashes, block.codes, strict=True):
                index = index_of.get(digest)
                if index is None:
                    foreign += 1
                    continue
                committed += 1
                if code != 0:
                    failed += 1
                latencies.append(block.seen - self.sent_at[index])
        latencies.sort()
        intervals = [
            later.seen - earlier.seen
            for earlier, later in zip(self.blocks, self.blocks[1:], strict=False)
            if self.start <= later.seen <= end
        ]
        return {
            "window_s": self.duration,
            "offered_tx_per_s": round(sent_in_window / self.duration, 1),
            "sent": sent,
            "checktx_accepted": accepted,
            "checktx_rejected": rejected,
            "checktx_rejections": dict(self.check_logs),
            "committed_tx_per_s": round(committed_in_window / self.duration, 1),
            "committed_in_window": committed_in_window,
            "committed_total": committed,
            "failed_in_blocks": failed,
            "not_ours_in_blocks": foreign,
            "never_committed": accepted - committed,
            "latency_p50_s": _quantile(latencies, 0.50),
            "latency_p99_s": _quantile(latencies, 0.99),
            "latency_max_s": round(latencies[-1], 3) if latencies else None,
            "blocks_in_window": len(block_sizes),
            "block_txs_mean": round(statistics.mean(block_sizes), 1) if block_sizes else 0,
            "block_txs_max": max(block_sizes, default=0),
            "block_interval_mean_s": round(statistics.mean(intervals), 3) if intervals else None,
            "generator_cpu_percent": round(100 * self.generator_cpu_seconds / self.duration, 1),
            "node_cpu_percent": round(100 * self.node_cpu_seconds / self.duration, 1),
        }


def _quantile(sorted_values: Sequence[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return round(sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))], 3)


async def _watch_blocks(
    port: int, first_height: int, blocks: list[Block], stop: asyncio.Event
) -> None:
    connection = await asyncio.open_connection("127.0.0.1", port)
    height = first_height
    while not stop.is_set():
        results = await _get(connection, f"/block_results?height={height}")
        if "result" not in results:
            await asyncio.sleep(POLL_SECONDS)
            continue
        seen = time.monotonic()
        tx_results = results["result"].get("txs_results") or []  # type: ignore[attr-defined]
        block = await _get(connection, f"/block?height={height}")
        txs = block["result"]["block"]["data"]["txs"] or []  # type: ignore[index]
        blocks.append(
            Block(
                height=height,
                seen=seen,
                tx_hashes=[tx_hash(base64.b64decode(tx)) for tx in txs],
                codes=[int(result.get("code", 0)) for result in tx_results],
            )
        )
        height += 1
    connection[1].close()


async def _send(
    port: int,
    indices: Sequence[int],
    requests: Sequence[bytes],
    start: float,
    rate: float,
    deadline: float,
    sent_at: list[float],
    check_codes: list[int | None],
    check_logs: dict[str, int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for index in indices:
        due = start + index / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
            now = time.monotonic()
        if now >= deadline:
            break
        sent_at[index] = now
        writer.write(requests[index])
        _, body = await _read_response(reader)
        reply = json.loads(body)
        result = reply.get("result")
        if result is None:
            check_codes[index] = -1
            problem = reply.get("error", {})
            reason = str(problem.get("data") or problem.get("message"))[:60]
            check_logs[reason] = check_logs.get(reason, 0) + 1
        else:
            check_codes[index] = int(result["code"])
            if result["code"] != 0:
                reason = f"code {result['code']}: {result.get('log', '')[:50]}"
                check_logs[reason] = check_logs.get(reason, 0) + 1
    writer.close()


async def _latest_height(port: int) -> int:
    connection = await asyncio.open_connection("127.0.0.1", port)
    status = await _get(connection, "/status")
    connection[1].close()
    return int(status["result"]["sync_info"]["latest_block_height"])  # type: ignore[index]


async def _unconfirmed(port: int) -> int:
    connection = await asyncio.open_connection("127.0.0.1", port)
    reply = await _get(connection, "/num_unconfirmed_txs")
    connection[1].close()
    return int(reply["result"]["total"])  # type: ignore[index]


async def _run(
    port: int,
    raws: Sequence[bytes],
    sender_of: Sequence[int],
    rate: float,
    duration: float,
    connections: int,
    drain_seconds: float,
    node_pid: int,
) -> LoadResult:
    requests = [request_bytes(raw) for raw in raws]
    hashes = [tx_hash(raw) for raw in raws]
    lanes: list[list[int]] = [[] for _ in range(connections)]
    for index, sender in enumerate(sender_of):
        lanes[sender % connections].append(index)
    sent_at = [0.0] * len(raws)
    check_codes: list[int | None] = [None] * len(raws)
    check_logs: dict[str, int] = {}
    blocks: list[Block] = []
    first_height = await _latest_height(port) + 1
    stop_watching = asyncio.Event()
    watcher = asyncio.create_task(_watch_blocks(port, first_height, blocks, stop_watching))
    node_cpu = process_cpu_seconds(node_pid)
    own_cpu = sum(os.times()[:2])
    start = time.monotonic() + 0.05
    deadline = start + duration
    await asyncio.gather(
        *(
            _send(port, lane, requests, start, rate, deadline, sent_at, check_codes, check_logs)
            for lane in lanes
        )
    )
    generator_cpu = sum(os.times()[:2]) - own_cpu
    node_cpu = process_cpu_seconds(node_pid) - node_cpu
    accepted = {hashes[i] for i, code in enumerate(check_codes) if code == 0}
    give_up = time.monotonic() + drain_seconds
    empty_polls = 0
    while time.monotonic() < give_up:
        seen = {digest for block in blocks for digest in block.tx_hashes}
        if accepted <= seen:
            break
        # Txs that a recheck evicted never commit; an empty mempool twice running ends the wait.
        empty_polls = empty_polls + 1 if await _unconfirmed(port) == 0 else 0
        if empty_polls >= 2:
            break
        await asyncio.sleep(0.5)
    stop_watching.set()
    await watcher
    return LoadResult(
        start=start,
        duration=duration,
        sent_at=sent_at,
        check_codes=check_codes,
        check_logs=check_logs,
        blocks=blocks,
        generator_cpu_seconds=generator_cpu,
        node_cpu_seconds=node_cpu,
        first_height=first_height,
        hashes=hashes,
    )


def run_load(
    port: int,
    raws: Sequence[bytes],
    sender_of: Sequence[int],
    *,
    rate: float,
    duration: float,
    connections: int,
    drain_seconds: float,
    node_pid: int,
) -> LoadResult:
    """Offer raws[i] at start + i/rate for duration seconds, then wait for them to commit.

    sender_of[i] names the account (or any ordering group) of raws[i]: one group's txs
    share a connection, so they arrive in index order.
    """
    return asyncio.run(
        _run(port, raws, sender_of, rate, duration, connections, drain_seconds, node_pid)
    )
