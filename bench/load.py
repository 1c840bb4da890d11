"""An open-loop transaction load against CometBFT's RPC, and a watcher of committed blocks.

The load writes pre-built `broadcast_tx_sync` requests, pipelined, on a few keep-alive
HTTP/1.1 connections from one asyncio loop: every 5 ms a pacer writes each connection's
txs that are due (tx i is due at `t0 + i / rate`) in one write, keeping at most
`pipeline` requests unanswered per connection, so the generator stays cheap next to the
node it measures. A sender's txs always go on the same connection, and Go answers
pipelined requests in order, so its sequences reach the mempool in order.

The watcher polls `/abci_info` every 20 ms: the first time the app reports height N as
its last commit is N's commit time, charged to each of its txs (`/block` is stored before
the app executes a block, so it would read early). Only after the load are `/block` and
`/block_results` fetched for every height, so the node serves no large replies while it
is measured; txs are matched to their broadcast by sha256 (CometBFT's tx hash).
"""

from __future__ import annotations

import asyncio
import base64
import collections
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
TICK_SECONDS = 0.005


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


def process_cpu_seconds(pid: int | Sequence[int]) -> dict[str, float]:
    """User + system CPU seconds of pid (or several) and live descendants, by process name."""
    by_name: dict[str, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    pending = [pid] if isinstance(pid, int) else list(pid)
    while pending:
        current = pending.pop()
        try:
            name = Path(f"/proc/{current}/comm").read_text().strip()
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            spent = (int(fields[11]) + int(fields[12])) / ticks
            by_name[name] = by_name.get(name, 0.0) + spent
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except (OSError, IndexError, ValueError):
            continue
    return by_name


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


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
    node_cpu_seconds: dict[str, float]
    machine_busy_seconds: float
    load_average: tuple[float, float]
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
        # Sampled apart, the counters can disagree by a tick: clamp the difference at zero.
        others = (
            self.machine_busy_seconds
            - self.generator_cpu_seconds
            - sum(self.node_cpu_seconds.values())
        )
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
            "node_cpu_percent": round(100 * sum(self.node_cpu_seconds.values()) / self.duration, 1),
            "machine_busy_percent": round(100 * self.machine_busy_seconds / self.duration, 1),
            "others_cpu_percent": round(max(0.0, 100 * others / self.duration), 1),
            "load_average_1min_before_after": self.load_average,
            "node_cpu_percent_by_process": {
                name: round(100 * spent / self.duration, 1)
                for name, spent in self.node_cpu_seconds.items()
            },
        }


def _quantile(sorted_values: Sequence[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return round(sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))], 3)


async def _watch_commits(port: int, seen: dict[int, float], stop: asyncio.Event) -> None:
    """Record when each height is first reported committed by the app (ABCI Info)."""
    connection = await asyncio.open_connection("127.0.0.1", port)
    last = -1
    while not stop.is_set():
        reply = await _get(connection, "/abci_info")
        height = int(reply["result"]["response"].get("last_block_height", 0))  # type: ignore[index]
        now = time.monotonic()
        if last < 0:
            last = height
        for new in range(last + 1, height + 1):
            seen[new] = now
        last = max(last, height)
        await asyncio.sleep(POLL_SECONDS)
    connection[1].close()


FETCH_ATTEMPTS = 3


async def _fetch_blocks(port: int, seen: dict[int, float]) -> list[Block]:
    """The txs and result codes of the heights seen, fetched after the load is over."""
    connection = await asyncio.open_connection("127.0.0.1", port)
    blocks = []
    for height in sorted(seen):
        for attempt in range(FETCH_ATTEMPTS):
            try:
                results = await _get(connection, f"/block_results?height={height}")
                block = await _get(connection, f"/block?height={height}")
                break
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                # Go's server may drop a keep-alive connection (a large reply timing out on
                # a busy machine); a dead node refuses the next connection instead.
                connection[1].close()
                if attempt == FETCH_ATTEMPTS - 1:
                    raise RuntimeError(
                        f"/block_results or /block of height {height}: {error!r}"
                    ) from error
                await asyncio.sleep(1)
                connection = await asyncio.open_connection("127.0.0.1", port)
        txs = block["result"]["block"]["data"]["txs"] or []  # type: ignore[index]
        if "result" in results:
            tx_results = results["result"].get("txs_results") or []  # type: ignore[attr-defined]
        else:
            # storage.discard_abci_responses: only the last height's results are kept, so
            # the others' codes are unknown; counted as succeeded.
            tx_results = [{} for _ in txs]
        blocks.append(
            Block(
                height=height,
                seen=seen[height],
                tx_hashes=[tx_hash(base64.b64decode(tx)) for tx in txs],
                codes=[int(result.get("code", 0)) for result in tx_results],
            )
        )
    connection[1].close()
    return blocks


class _Lane(asyncio.Protocol):
    """One keep-alive connection carrying pipelined broadcast_tx_sync requests in order.

    Go's HTTP server answers pipelined requests one after another, in order, so the
    replies are matched to requests first-in first-out.
    """

    def __init__(self, outcome: _Outcome) -> None:
        self.outcome = outcome
        self.in_flight: collections.deque[int] = collections.deque()
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, error: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(error)

    def send(self, indices: list[int], requests: Sequence[bytes], now: float) -> None:
        assert self.transport is not None
        self.transport.write(b"".join(requests[index] for index in indices))
        for index in indices:
            self.outcome.sent_at[index] = now
        self.in_flight.extend(indices)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(self.buffer[:head_end]).lower()
            at = head.find(b"content-length:")
            if at < 0:
                raise RuntimeError(f"reply without content-length: {head[:200]!r}")
            length = int(head[at + 15 :].split(b"\r\n", 1)[0])
            body_start = head_end + 4
            if len(self.buffer) < body_start + length:
                return
            body = bytes(self.buffer[body_start : body_start + length])
            del self.buffer[: body_start + length]
            self.outcome.record(self.in_flight.popleft(), body)


@dataclass
class _Outcome:
    sent_at: list[float]
    check_codes: list[int | None]
    check_logs: dict[str, int]

    def record(self, index: int, body: bytes) -> None:
        if b'"result":{"code":0,' in body:
            self.check_codes[index] = 0
            return
        reply = json.loads(body)
        result = reply.get("result")
        if result is None:
            self.check_codes[index] = -1
            problem = reply.get("error", {})
            # "mempool is full: number of txs 50013 ..." and the like: group by the kind.
            reason = str(problem.get("data") or problem.get("message")).split(":")[0][:60]
        else:
            self.check_codes[index] = int(result["code"])
            reason = f"code {result['code']}: {result.get('log', '')[:50]}"
        self.check_logs[reason] = self.check_logs.get(reason, 0) + 1


async def _offer(
    port: int,
    lanes_of: Sequence[Sequence[int]],
    requests: Sequence[bytes],
    outcome: _Outcome,
    start: float,
    rate: float,
    deadline: float,
    pipeline: int,
) -> list[_Lane]:
    """Every tick, write each connection's due txs, keeping at most pipeline unanswered."""
    loop = asyncio.get_running_loop()
    lanes = []
    for _ in lanes_of:
        _, lane = await loop.create_connection(lambda: _Lane(outcome), "127.0.0.1", port)
        lanes.append(lane)
    positions = [0] * len(lanes)
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        due = (now - start) * rate
        for number, lane in enumerate(lanes):
            indices = lanes_of[number]
            position = positions[number]
            room = pipeline - len(lane.in_flight)
            batch = []
            while room > 0 and position < len(indices) and indices[position] <= due:
                batch.append(indices[position])
                position += 1
                room -= 1
            if batch:
                lane.send(batch, requests, now)
            positions[number] = position
        await asyncio.sleep(TICK_SECONDS)
    return lanes


async def _await_replies(lanes: Sequence[_Lane]) -> None:
    """Let the last replies arrive, so every sent tx has its CheckTx verdict."""
    give_up = time.monotonic() + 120
    while any(lane.in_flight for lane in lanes) and time.monotonic() < give_up:
        await asyncio.sleep(0.05)
    for lane in lanes:
        if lane.transport is not None:
            lane.transport.close()


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
    pipeline: int,
    drain_seconds: float,
    node_pid: int | Sequence[int],
) -> LoadResult:
    requests = [request_bytes(raw) for raw in raws]
    hashes = [tx_hash(raw) for raw in raws]
    lanes: list[list[int]] = [[] for _ in range(connections)]
    for index, sender in enumerate(sender_of):
        lanes[sender % connections].append(index)
    outcome = _Outcome([0.0] * len(raws), [None] * len(raws), {})
    seen: dict[int, float] = {}
    first_height = await _latest_height(port) + 1
    stop_watching = asyncio.Event()
    watcher = asyncio.create_task(_watch_commits(port, seen, stop_watching))
    node_cpu = process_cpu_seconds(node_pid)
    own_cpu = sum(os.times()[:2])
    machine_busy = machine_busy_seconds()
    load_before = os.getloadavg()[0]
    start = time.monotonic() + 0.05
    deadline = start + duration
    connections_used = await _offer(port, lanes, requests, outcome, start, rate, deadline, pipeline)
    generator_cpu = sum(os.times()[:2]) - own_cpu
    machine_busy = machine_busy_seconds() - machine_busy
    load_after = os.getloadavg()[0]
    node_cpu_after = process_cpu_seconds(node_pid)
    node_cpu = {name: node_cpu_after[name] - node_cpu.get(name, 0.0) for name in node_cpu_after}
    await _await_replies(connections_used)
    # CometBFT drops a tx from its mempool only after the block holding it is committed
    # (or a recheck evicts it), so an empty mempool, twice running, means all are in.
    give_up = time.monotonic() + drain_seconds
    empty_polls = 0
    while time.monotonic() < give_up and empty_polls < 2:
        empty_polls = empty_polls + 1 if await _unconfirmed(port) == 0 else 0
        await asyncio.sleep(0.5)
    stop_watching.set()
    await watcher
    blocks = await _fetch_blocks(port, {h: t for h, t in seen.items() if h >= first_height})
    return LoadResult(
        start=start,
        duration=duration,
        sent_at=outcome.sent_at,
        check_codes=outcome.check_codes,
        check_logs=outcome.check_logs,
        blocks=blocks,
        generator_cpu_seconds=generator_cpu,
        node_cpu_seconds=node_cpu,
        machine_busy_seconds=machine_busy,
        load_average=(round(load_before, 2), round(load_after, 2)),
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
    pipeline: int,
    drain_seconds: float,
    node_pid: int | Sequence[int],
) -> LoadResult:
    """Offer raws[i] at start + i/rate for duration seconds, then wait for them to commit.

    sender_of[i] names the account (or any ordering group) of raws[i]: one group's txs
    share a connection, so they arrive in index order.
    """
    return asyncio.run(
        _run(port, raws, sender_of, rate, duration, connections, pipeline, drain_seconds, node_pid)
    )
