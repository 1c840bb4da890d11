"""Chain throughput: signed bank sends committed per second, against CometBFT's kvstore.

Run: .venv/bin/python bench/throughput.py [--duration 60] [--accounts 2000] [--rate 4000]
     [--validators 1,4] [--latency-rate TX_PER_S] [--connections 64] [--block-time 1s]
     [--repeat N] [--wait-quiet SECONDS] [--skip-kvstore] [--json] [--profile app.prof]
     [--in-process BLOCKS] [--key-type ed25519|secp256k1|mixed] [--block-max-gas N]
     [--index-events default|all] [--discard-abci-responses]

For each validator count of `--validators` (1 and 4: `gpuchain testnet`'s homes, and
`cometbft testnet`'s for kvstore, all on this machine, the load sent to the first one) it
runs both apps saturated, reports the ratio, then runs both at half of kvstore's committed
rate (`--latency-rate`) for latency below saturation.

It funds `--accounts` accounts (deterministic seeds; ed25519 keys, or secp256k1 ones as
Cosmos wallets have, or both alternating, by `--key-type`) in a fresh single-validator genesis,
pre-signs `rate * duration` MsgSends before the clock starts (account i sends 1ugpc to
account i+1 with sequences 0, 1, 2, ...; fee 200ugpc, gas 100000), starts `gpuchain
start` on free loopback ports, offers the txs by broadcast_tx_sync at `--rate` for
`--duration` seconds (bench/load.py) and reports committed tx/s, broadcast-to-commit
latency, failures and the CPU used by the node, the load and other processes. Then, on
the same machine and with the same CometBFT settings, it runs CometBFT's built-in
`kvstore` app under the same load (unique `key=value` txs of the same size) and reports
the ratio. On a shared machine, `--wait-quiet` and `--repeat` (alternating the apps,
reporting each one's least disturbed run) keep other jobs out of the figures.

`--profile` runs the node under cProfile and prints its hot spots (its figures are not
comparable); `--in-process` times and profiles the app's ABCI methods alone instead.
Figures and the settings behind them are recorded in docs/benchmarks.md."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import nacl.signing  # noqa: E402

from bench.load import LoadResult, machine, machine_busy_seconds, run_load  # noqa: E402
from chain.coins import Coins  # noqa: E402
from chain.config import (  # noqa: E402
    NodeConfig,
    cometbft_binary,
    cometbft_environment,
    set_toml_values,
)
from chain.crypto import ED25519, SECP256K1, PrivateKey  # noqa: E402
from chain.home import NodePorts, bond_operator, init_home, make_testnet  # noqa: E402
from chain.pb.cosmos.tx.v1beta1 import tx_pb2  # noqa: E402
from chain.rpc import CometRpc, RpcError  # noqa: E402
from chain.testing import free_port, genesis_state  # noqa: E402
from chain.tx import build_unsigned, sign_bytes  # noqa: E402
from x.bank.msgs import send_msg  # noqa: E402

CHAIN_ID = "gpuchain-bench"
FEE = "200ugpc"
GAS_LIMIT = 100_000
MIN_GAS_PRICE = "0.001ugpc"  # as LocalNode and the default app.toml: 100000 gas needs 100ugpc
BALANCE = "1000000000ugpc"
QUIET_BUSY_SHARE = 0.15
MIXED = "mixed"
KEY_TYPES = (ED25519, SECP256K1, MIXED)


@dataclass(frozen=True)
class Settings:
    duration: float
    accounts: int
    rate: float
    connections: int
    pipeline: int
    block_time: str
    mempool_size: int
    mempool_cache: int
    recheck: bool
    drain: float
    wait_quiet: float
    tx_index: str
    # Both apps: CometBFT's storage.discard_abci_responses.
    discard_abci_responses: bool = False
    # gpuchain's genesis block.max_gas; -1 (no limit, as kvstore has none) by default, since
    # `gpuchain init`'s 40,000,000 holds only 400 sends of this bench's 100,000 gas limit.
    block_max_gas: int = -1
    # gpuchain's app.toml index-events: "default" (what `gpuchain init` writes) or "all".
    index_events: str = "default"

    def comet_values(self, rpc_port: int, p2p_port: int) -> dict[tuple[str, str], Any]:
        """The CometBFT settings both apps run with."""
        return {
            ("rpc", "laddr"): f"tcp://127.0.0.1:{rpc_port}",
            ("p2p", "laddr"): f"tcp://127.0.0.1:{p2p_port}",
            ("consensus", "timeout_commit"): self.block_time,
            ("mempool", "size"): self.mempool_size,
            ("mempool", "cache_size"): self.mempool_cache,
            ("mempool", "recheck"): self.recheck,
            ("tx_index", "indexer"): self.tx_index,
            ("storage", "discard_abci_responses"): self.discard_abci_responses,
        }


def account_key(index: int, key_type: str = ED25519) -> PrivateKey:
    """Account index's key; with key_type "mixed", even accounts are ed25519 and odd ones
    secp256k1, so blocks carry both."""
    algo = key_type if key_type != MIXED else (ED25519, SECP256K1)[index % 2]
    return PrivateKey(hashlib.sha256(b"gpuchain-bench-account-%d" % index).digest(), algo)


def signer(key: PrivateKey) -> Callable[[bytes], bytes]:
    """key's signing function; an ed25519 key is expanded once (nacl), not per message."""
    if key.algo == SECP256K1:
        return key.sign
    cached = nacl.signing.SigningKey(key.seed)
    return lambda message: bytes(cached.sign(message).signature)


def presign_sends(keys: list[PrivateKey], count: int) -> tuple[list[bytes], list[int]]:
    """count signed MsgSends, tx i from account i % N with sequence i // N; and the senders.

    Signing directly (an ed25519 key cached in nacl) is the same SIGN_MODE_DIRECT as
    chain.tx.build_and_sign, about 10 times cheaper per tx, so pre-signing takes seconds.
    """
    fee = Coins.parse(FEE)
    addresses = [key.bech32_address for key in keys]
    templates = []
    for number, key in enumerate(keys):
        send = send_msg(
            addresses[number], addresses[(number + 1) % len(keys)], Coins.single("ugpc", 1)
        )
        unsigned = build_unsigned(key.public, [send], sequence=0, fee=fee, gas_limit=GAS_LIMIT)
        auth_info = tx_pb2.AuthInfo.FromString(unsigned.auth_info_bytes)
        sign = signer(key)
        templates.append((sign, unsigned.body_bytes, auth_info))
    raws, senders = [], []
    for index in range(count):
        number, sequence = index % len(keys), index // len(keys)
        sign, body_bytes, auth_info = templates[number]
        auth_info.signer_infos[0].sequence = sequence
        auth_info_bytes = auth_info.SerializeToString()
        signature = sign(sign_bytes(body_bytes, auth_info_bytes, CHAIN_ID, number))
        raws.append(
            tx_pb2.TxRaw(
                body_bytes=body_bytes, auth_info_bytes=auth_info_bytes, signatures=[signature]
            ).SerializeToString()
        )
        senders.append(number)
    return raws, senders


def kvstore_txs(count: int, size: int) -> list[bytes]:
    """Unique `key=value` txs of exactly size bytes."""
    txs = []
    for index in range(count):
        head = b"bench%010d=" % index
        txs.append(head + b"v" * max(1, size - len(head)))
    return txs


class Node:
    """A node process group on free loopback ports, logging to HOME/node.log."""

    def __init__(self, home: Path, command: list[str], rpc_port: int) -> None:
        self.home = home
        self.rpc_port = rpc_port
        self.log = (home / "node.log").open("ab")
        # Both apps' CometBFT runs with the GOMAXPROCS `gpuchain start` gives its own.
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env=cometbft_environment(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for_height(self, height: int, timeout: float = 60) -> None:
        rpc = CometRpc(f"tcp://127.0.0.1:{self.rpc_port}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node exited; see {self.home / 'node.log'}")
            try:
                if rpc.latest_height() >= height:
                    return
            except RpcError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"height {height} not reached; see {self.home / 'node.log'}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Network:
    """Validators on one machine; the load goes to the first one's RPC. The node CPU
    reported is all of theirs."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.rpc_port = nodes[0].rpc_port
        self.process = nodes[0].process
        self.home = nodes[0].home
        self.pids = [node.process.pid for node in nodes]

    def wait_for_height(self, height: int, timeout: float = 120) -> None:
        self.nodes[0].wait_for_height(height, timeout)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def funded_app_state(keys: list[PrivateKey]) -> dict[str, Any]:
    """A default genesis app state funding every key (for the in-process run)."""
    app_state = genesis_state({})
    fund_accounts(app_state, keys)
    return app_state


def fund_accounts(app_state: dict[str, Any], keys: list[PrivateKey]) -> None:
    """Give every key a balance and account number i, so signing needs no query.

    Accounts named only by a bank balance (e.g. a validator's) get numbers after these.
    """
    bank = app_state.setdefault("bank", {"balances": [], "supply": []})
    balance = Coins.parse(BALANCE).to_json()
    bank["balances"] = sorted(
        [
            *bank.get("balances", []),
            *({"address": k.bech32_address, "coins": balance} for k in keys),
        ],
        key=lambda entry: entry["address"],
    )
    supply = Coins()
    for entry in bank["balances"]:
        supply = supply + Coins.parse(
            ",".join(f"{c['amount']}{c['denom']}" for c in entry["coins"])
        )
    bank["supply"] = supply.to_json()
    auth = app_state.setdefault("auth", {})
    auth["accounts"] = [
        *auth.get("accounts", []),
        *(
            {"address": key.bech32_address, "account_number": str(number)}
            for number, key in enumerate(keys)
        ),
    ]


def start_gpuchain(
    home: Path, settings: Settings, keys: list[PrivateKey], profile: Path | None
) -> Node:
    rpc_port, p2p_port = free_port(), free_port()
    node_config = NodeConfig(
        minimum_gas_prices=MIN_GAS_PRICE,
        grpc_address=f"127.0.0.1:{free_port()}",
        metrics_address=f"127.0.0.1:{free_port()}",
        api_address=f"127.0.0.1:{free_port()}",
        invariant_check_period=0,
        index_events=() if settings.index_events == "all" else None,
    )
    paths = init_home(home, "bench", CHAIN_ID, node_config=node_config)
    set_toml_values(paths.comet_config, settings.comet_values(rpc_port, p2p_port))
    bond_operator(paths, PrivateKey.generate(), "bench", CHAIN_ID)
    genesis = json.loads(paths.genesis.read_text())
    fund_accounts(genesis["app_state"], keys)
    genesis["consensus_params"]["block"]["max_gas"] = str(settings.block_max_gas)
    paths.genesis.write_text(json.dumps(genesis))
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "chain.cli.main", "start", "--home", str(home)]
    return Node(home, command, rpc_port)


def start_kvstore(home: Path, settings: Settings) -> Node:
    rpc_port, p2p_port = free_port(), free_port()
    subprocess.run(
        [cometbft_binary(), "init", "--home", str(home)], check=True, capture_output=True
    )
    set_toml_values(home / "config" / "config.toml", settings.comet_values(rpc_port, p2p_port))
    command = [cometbft_binary(), "node", "--home", str(home), "--proxy_app", "kvstore"]
    return Node(home, command, rpc_port)


def start_gpuchain_network(
    root: Path, settings: Settings, keys: list[PrivateKey], validators: int
) -> Network:
    """`validators` gpuchain validators from `make_testnet` (what `gpuchain testnet` writes)
    with the bench's accounts, CometBFT settings and block gas limit."""
    ports = [
        NodePorts(free_port(), free_port(), free_port(), free_port(), free_port())
        for _ in range(validators)
    ]
    homes = make_testnet(root, validators, CHAIN_ID, ports, settings.block_time)
    genesis = json.loads(homes[0].genesis.read_text())
    fund_accounts(genesis["app_state"], keys)
    genesis["consensus_params"]["block"]["max_gas"] = str(settings.block_max_gas)
    nodes = []
    for home, port in zip(homes, ports, strict=True):
        home.genesis.write_text(json.dumps(genesis))
        set_toml_values(home.comet_config, settings.comet_values(port.rpc, port.p2p))
        if settings.index_events == "all":
            config = replace(NodeConfig.load(home.app_config), index_events=())
            home.app_config.write_text(config.to_toml())
        command = [sys.executable, "-m", "chain.cli.main", "start", "--home", str(home.root)]
        nodes.append(Node(home.root, command, port.rpc))
    return Network(nodes)


def start_kvstore_network(root: Path, settings: Settings, validators: int) -> Network:
    """`validators` CometBFT kvstore validators from `cometbft testnet`, peered on loopback."""
    subprocess.run(
        [cometbft_binary(), "testnet", "--v", str(validators), "--o", str(root)],
        check=True,
        capture_output=True,
    )
    homes = [root / f"node{index}" for index in range(validators)]
    ports = [(free_port(), free_port()) for _ in homes]
    ids = [
        subprocess.run(
            [cometbft_binary(), "show-node-id", "--home", str(home)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for home in homes
    ]
    nodes = []
    for index, (home, (rpc_port, p2p_port)) in enumerate(zip(homes, ports, strict=True)):
        peers = ",".join(
            f"{ids[other]}@127.0.0.1:{ports[other][1]}"
            for other in range(validators)
            if other != index
        )
        set_toml_values(
            home / "config" / "config.toml",
            {
                **settings.comet_values(rpc_port, p2p_port),
                ("p2p", "persistent_peers"): peers,
                ("p2p", "allow_duplicate_ip"): True,
                ("p2p", "addr_book_strict"): False,
            },
        )
        command = [cometbft_binary(), "node", "--home", str(home), "--proxy_app", "kvstore"]
        nodes.append(Node(home, command, rpc_port))
    return Network(nodes)


def wait_for_quiet(limit: float, say: Any) -> float:
    """Wait up to limit seconds for other processes to leave the CPUs mostly idle.

    Returns the busy share (0..1 of all cores) last seen. Other jobs on a shared machine
    take CPU from the node, so a run on a busy machine reads low.
    """
    cores = os.cpu_count() or 1
    give_up = time.monotonic() + limit
    while True:
        before = machine_busy_seconds()
        time.sleep(2)
        busy = (machine_busy_seconds() - before) / (2 * cores)
        if busy < QUIET_BUSY_SHARE or time.monotonic() >= give_up:
            return busy
        say(f"machine {100 * busy:.0f}% busy with other work; waiting for it to calm down")


def measure(
    node: Node | Network, raws: list[bytes], senders: list[int], settings: Settings, say: Any
) -> dict[str, object]:
    try:
        node.wait_for_height(2)
        busy_before = wait_for_quiet(settings.wait_quiet, say) if settings.wait_quiet else None
        result: LoadResult = run_load(
            node.rpc_port,
            raws,
            senders,
            rate=settings.rate,
            duration=settings.duration,
            connections=settings.connections,
            pipeline=settings.pipeline,
            drain_seconds=settings.drain,
            node_pid=node.pids if isinstance(node, Network) else node.process.pid,
        )
    finally:
        node.stop()
    figures = result.figures()
    if busy_before is not None:
        figures["machine_busy_share_before"] = round(busy_before, 2)
    return figures


def profile_in_process(
    keys: list[PrivateKey], raws: list[bytes], block_txs: int, blocks: int, workdir: Path
) -> dict[str, object]:
    """Time and profile the app's own ABCI methods, with no sockets or CometBFT around it.

    Each block's txs go through CheckTx, then PrepareProposal, ProcessProposal,
    FinalizeBlock and Commit (chain.testing.TestNode), and the next block's mempool is
    rechecked, as CometBFT would do. `gpuchain start` runs FinalizeBlock and Commit on a
    worker thread, which cProfile of the node process does not see; this does. It runs
    twice on fresh state: once timed without a profiler, once under cProfile.
    """
    import cProfile

    batches = [raws[n * block_txs : (n + 1) * block_txs] for n in range(blocks + 1)]
    seconds = _drive_in_process(keys, batches, workdir / "timed", None)
    profiler = cProfile.Profile()
    _drive_in_process(keys, batches, workdir / "profiled", profiler)
    profile = workdir / "in-process.prof"
    profiler.dump_stats(str(profile))
    count = blocks * block_txs
    return {
        "txs": count,
        "block_txs": block_txs,
        **{f"{phase}_us_per_tx": round(1e6 * spent / count, 1) for phase, spent in seconds.items()},
        "app_ceiling_tx_per_s": round(count / sum(seconds.values()), 1),
        "hot_spots": print_hot_spots(profile),
    }


def _drive_in_process(
    keys: list[PrivateKey], batches: list[list[bytes]], home: Path, profiler: Any
) -> dict[str, float]:
    from chain.app import AppConfig
    from chain.coins import DecPrice
    from chain.pb.tendermint.abci import types_pb2 as abci
    from chain.testing import TestNode
    from chain.wiring import DEFAULT_INDEX_EVENTS

    config = AppConfig(
        min_gas_price=DecPrice.parse(MIN_GAS_PRICE), index_events=frozenset(DEFAULT_INDEX_EVENTS)
    )
    node = TestNode(home, chain_id=CHAIN_ID, config=config)
    node.init_chain(funded_app_state(keys))
    node.block([])
    for raw in batches[0]:
        assert node.check(raw).code == 0
    seconds = {"check_tx": 0.0, "block": 0.0, "recheck_tx": 0.0}
    if profiler is not None:
        profiler.enable()
    # As in CometBFT: the next block's txs arrive (CheckTx) while this one is pending;
    # after the commit the mempool's leftovers are rechecked on the fresh check state.
    for number in range(len(batches) - 1):
        began = time.perf_counter()
        for raw in batches[number + 1]:
            assert node.check(raw).code == 0
        seconds["check_tx"] += time.perf_counter() - began
        began = time.perf_counter()
        result = node.block(batches[number])
        seconds["block"] += time.perf_counter() - began
        assert all(tx.code == 0 for tx in result.tx_results)
        began = time.perf_counter()
        for raw in batches[number + 1]:
            request = abci.RequestCheckTx(tx=raw, type=abci.RECHECK)
            assert node.app.check_tx(request).code == 0
        seconds["recheck_tx"] += time.perf_counter() - began
    if profiler is not None:
        profiler.disable()
    node.close()
    return seconds


def source_state() -> str:
    """The commit measured, and whether the app's code differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()

    dirty = git("status", "--porcelain", "--", "chain", "x")
    return git("rev-parse", "--short", "HEAD") + (
        f" + uncommitted changes in {len(dirty.splitlines())} chain/ x/ files" if dirty else ""
    )


def print_hot_spots(profile: Path, top: int = 25) -> list[dict[str, object]]:
    """The app's functions by own time, and ours by time including callees, as % of the
    time it was not idle in epoll."""
    stats = pstats.Stats(str(profile))
    rows = []
    idle = 0.0
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(filename).name}:{line}({name})" if line else name
        if "poll" in name and ("epoll" in name or "select" in name):
            idle += own
            continue
        module = filename.replace(str(REPO) + "/", "")
        rows.append((own, cumulative, calls, f"{module}:{line}({name})" if line else where))
    busy = sum(row[0] for row in rows)
    print(f"\nprofile: {busy:.1f} s busy, {idle:.1f} s idle in epoll")
    print(f"{'own %':>6} {'cum %':>6} {'calls':>9}  function (by own time)")
    hot = []
    for own, cumulative, calls, where in sorted(rows, reverse=True)[:top]:
        print(f"{100 * own / busy:6.1f} {100 * cumulative / busy:6.1f} {calls:9d}  {where}")
        hot.append(
            {
                "function": where,
                "own_percent": round(100 * own / busy, 1),
                "cumulative_percent": round(100 * cumulative / busy, 1),
            }
        )
    # Entry points (main, the server loop) include the idle time: leave them out.
    ours = [row for row in rows if row[3].startswith(("chain/", "x/")) and row[1] <= busy / 2]
    print(f"\n{'own %':>6} {'cum %':>6} {'calls':>9}  function (ours, by time with callees)")
    for own, cumulative, calls, where in sorted(ours, key=lambda row: -row[1])[:top]:
        print(f"{100 * own / busy:6.1f} {100 * cumulative / busy:6.1f} {calls:9d}  {where}")
    return hot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (60)")
    parser.add_argument("--accounts", type=int, default=2000, help="sending accounts (2000)")
    parser.add_argument("--rate", type=float, default=4000, help="offered tx/s target (4000)")
    # 64 x 64: the 4,096 requests in flight of the old 16 x 256, from more clients at once.
    # Go's RPC server runs one request per connection at a time, so the connection count is
    # the number of CheckTx calls in flight. An in-process app (kvstore) answers within
    # microseconds and does not notice; an app behind the ABCI socket answers a batch in a
    # few milliseconds, so 16 clients measured how fast 16 clients can go one tx at a time
    # rather than what the node commits (docs/benchmarks.md has both).
    parser.add_argument(
        "--connections", type=int, default=64, help="keep-alive RPC connections (64)"
    )
    parser.add_argument(
        "--pipeline", type=int, default=64, help="most unanswered requests per connection (64)"
    )
    parser.add_argument("--block-time", default="1s", help="CometBFT timeout_commit (1s)")
    parser.add_argument("--mempool-size", type=int, default=50_000)
    parser.add_argument("--mempool-cache", type=int, default=100_000)
    parser.add_argument("--no-recheck", action="store_true", help="mempool.recheck = false")
    parser.add_argument(
        "--tx-index", default="kv", choices=("kv", "null"), help="CometBFT tx indexer (kv)"
    )
    parser.add_argument(
        "--discard-abci-responses",
        action="store_true",
        help="storage.discard_abci_responses = true (both apps)",
    )
    parser.add_argument(
        "--block-max-gas",
        type=int,
        default=-1,
        help="gpuchain genesis block.max_gas (-1: none, as kvstore; gpuchain init writes 40000000)",
    )
    parser.add_argument(
        "--index-events",
        default="default",
        choices=("default", "all"),
        help="gpuchain app.toml index-events: gpuchain init's list, or every attribute",
    )
    parser.add_argument("--drain", type=float, default=60, help="max seconds to await stragglers")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each app's load, wait up to this long for a mostly idle machine",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per app, alternating; the best is reported"
    )
    parser.add_argument(
        "--validators",
        default="1,4",
        help="comma-separated validator counts, each run for both apps (1,4)",
    )
    parser.add_argument(
        "--latency-rate",
        type=float,
        help="offered tx/s of the latency runs (default: half of kvstore's committed rate "
        "at that validator count; 0 skips them)",
    )
    parser.add_argument("--skip-kvstore", action="store_true")
    parser.add_argument("--skip-gpuchain", action="store_true")
    parser.add_argument("--profile", type=Path, help="run the app under cProfile, write here")
    parser.add_argument(
        "--in-process",
        type=int,
        metavar="BLOCKS",
        help="instead: profile the app in-process over BLOCKS blocks of --block-txs",
    )
    parser.add_argument("--block-txs", type=int, default=1000)
    parser.add_argument("--keep-homes", action="store_true", help="keep node homes and logs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--key-type",
        default=ED25519,
        choices=KEY_TYPES,
        help="senders' keys: ed25519 (default), secp256k1, or mixed (alternating accounts)",
    )
    args = parser.parse_args(argv)
    settings = Settings(
        duration=args.duration,
        accounts=args.accounts,
        rate=args.rate,
        connections=args.connections,
        pipeline=args.pipeline,
        block_time=args.block_time,
        mempool_size=args.mempool_size,
        mempool_cache=args.mempool_cache,
        recheck=not args.no_recheck,
        drain=args.drain,
        wait_quiet=args.wait_quiet,
        tx_index=args.tx_index,
        discard_abci_responses=args.discard_abci_responses,
        block_max_gas=args.block_max_gas,
        index_events=args.index_events,
    )
    report: dict[str, Any] = {
        "machine": machine(),
        "source": source_state(),
        "settings": {
            **settings.__dict__,
            "fee": FEE,
            "gas_limit": GAS_LIMIT,
            "min_gas_price": MIN_GAS_PRICE,
            "invariant_check_period": 0,
            "key_type": args.key_type,
        },
    }
    say = (lambda *a: None) if args.json else print
    say(f"machine: {report['machine']}")
    say(f"source: {report['source']}")
    say(f"settings: {report['settings']}")
    count = int(settings.rate * settings.duration)
    keys = [account_key(i, args.key_type) for i in range(settings.accounts)]
    workdir = Path(tempfile.mkdtemp(prefix="gpuchain-throughput-"))
    try:
        began = time.perf_counter()
        raws, senders = presign_sends(keys, count)
        tx_size = len(raws[0])
        say(f"pre-signed {count} sends of {tx_size} bytes in {time.perf_counter() - began:.1f} s")
        if args.in_process:
            report["in_process"] = profile_in_process(
                keys, raws, args.block_txs, args.in_process, workdir
            )
            timings = {k: v for k, v in report["in_process"].items() if k != "hot_spots"}
            say(f"in-process: {timings}")
            args.skip_gpuchain = args.skip_kvstore = True
        txs = kvstore_txs(count, tx_size)
        counts = [int(text) for text in args.validators.split(",")] if not args.in_process else []
        for validators in counts:
            report[f"validators_{validators}"] = run_validators(
                validators, settings, keys, raws, txs, senders, workdir, args, say
            )
    finally:
        if args.keep_homes:
            say(f"node homes kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_summary(report)
    return 0


def start_app(
    app: str, home: Path, settings: Settings, keys: list[PrivateKey], validators: int, args: Any
) -> Node | Network:
    if app == "gpuchain":
        if validators == 1:
            return start_gpuchain(home, settings, keys, args.profile)
        return start_gpuchain_network(home, settings, keys, validators)
    if validators == 1:
        return start_kvstore(home, settings)
    return start_kvstore_network(home, settings, validators)


def run_validators(
    validators: int,
    settings: Settings,
    keys: list[PrivateKey],
    raws: list[bytes],
    txs: list[bytes],
    senders: list[int],
    workdir: Path,
    args: Any,
    say: Any,
) -> dict[str, Any]:
    """Both apps at `validators` validators: saturated (`--rate`), then both at the
    latency rate (half of what kvstore committed), so latency is read below saturation."""
    apps = [app for app in ("gpuchain", "kvstore") if not getattr(args, f"skip_{app}")]
    loads = {"gpuchain": raws, "kvstore": txs}
    report: dict[str, Any] = {}
    runs: dict[str, list[dict[str, Any]]] = {app: [] for app in apps}
    # Alternate the apps, so a burst of other work on a shared machine hits both alike.
    for repeat in range(args.repeat):
        for app in apps:
            home = workdir / f"{app}-{validators}v-{repeat}"
            node = start_app(app, home, settings, keys, validators, args)
            runs[app].append(measure(node, loads[app], senders, settings, say))
            say(f"{validators} validator(s), {app}: {runs[app][-1]}")
            if app == "gpuchain" and args.profile is not None and validators == 1:
                report["hot_spots"] = print_hot_spots(args.profile)
    for app, figures in runs.items():
        # The least disturbed run is the one that committed most.
        report[app] = max(figures, key=lambda run: run["committed_tx_per_s"])
        if len(figures) > 1:
            report[f"{app}_runs"] = figures
    if "gpuchain" in report and "kvstore" in report:
        ours = report["gpuchain"]["committed_tx_per_s"]
        theirs = report["kvstore"]["committed_tx_per_s"]
        report["ratio"] = round(ours / theirs, 3) if theirs else None
    rate = args.latency_rate
    if rate is None and "kvstore" in report:
        rate = round(report["kvstore"]["committed_tx_per_s"] / 2)
    if rate:
        at_rate = replace(settings, rate=rate)
        latency: dict[str, Any] = {"offered_tx_per_s": rate}
        for app in apps:
            home = workdir / f"{app}-{validators}v-latency"
            node = start_app(app, home, at_rate, keys, validators, args)
            latency[app] = measure(node, loads[app], senders, at_rate, say)
            say(f"{validators} validator(s), {app} at {rate} tx/s: {latency[app]}")
        report["latency"] = latency
    return report


def print_summary(report: dict[str, Any]) -> None:
    print("\n== chain throughput ==")
    all_cores = 100 * (os.cpu_count() or 1)
    for name, section in report.items():
        if not name.startswith("validators_"):
            continue
        print(f"-- {name.removeprefix('validators_')} validator(s), saturated --")
        for app in ("gpuchain", "kvstore"):
            if app in section:
                _print_run(app, section[app], all_cores)
        if "ratio" in section:
            print(f"ratio gpuchain / kvstore: {section['ratio']}")
        if "latency" in section:
            latency = section["latency"]
            print(f"-- latency at {latency['offered_tx_per_s']} tx/s offered --")
            for app in ("gpuchain", "kvstore"):
                if app in latency:
                    _print_run(app, latency[app], all_cores)


def _print_run(app: str, figures: dict[str, Any], all_cores: int) -> None:
    print(
        f"{app:9} offered {figures['offered_tx_per_s']:>7} tx/s"
        f"  committed {figures['committed_tx_per_s']:>7} tx/s"
        f"  p50 {figures['latency_p50_s']} s  p99 {figures['latency_p99_s']} s"
        f"  checktx rejected {figures['checktx_rejected']}"
        f"  failed in blocks {figures['failed_in_blocks']}"
        f"  never committed {figures['never_committed']}"
    )
    print(
        f"{'':9} machine busy {figures['machine_busy_percent']}% of {all_cores}%"
        f" (node {figures['node_cpu_percent']}%,"
        f" load generator {figures['generator_cpu_percent']}%,"
        f" other processes {figures['others_cpu_percent']}%)"
    )


if __name__ == "__main__":
    sys.exit(main())
