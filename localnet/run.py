"""`make localnet`: a 4-validator gpuchain network and 2 providers in the background.

The homes live under localnet/.data/validatorN (made by `gpuchain testnet` on the default
ports: validator i adds 10·i to p2p 26656, RPC 26657, gRPC 9090, metrics 26660) and are
kept between runs: a second `make localnet` restarts the validators that are down and keeps
those that run; `make localnet-reset` deletes the chain and starts a fresh one. Each
validator's app logs to HOME/app.log and its CometBFT to HOME/cometbft.log. The two
providers (localnet/providers.py) run `gpuchain-provider` daemons on a local Docker engine
(started when none runs) from localnet/.data/providerN, registered on chain with their
gateway certificates; `tenant` is a funded key for deploying. The process ids are recorded
in localnet/.data/localnet.pids, so `make localnet-stop` works from any shell.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from chain.config import ConfigError, Home, NodeConfig, cometbft_binary
from chain.home import NodePorts, make_testnet, ports_of
from chain.keyring import Keyring
from chain.process import NodeExited, NodeProcess
from chain.rpc import CometRpc, RpcError
from localnet import providers as localnet_providers
from localnet.providers import LocalProvider, ProviderSetupError

DATA = Path(__file__).resolve().parent / ".data"
PID_FILE = DATA / "localnet.pids"
CHAIN_ID = "gpuchain-local"
VALIDATORS = 4
BLOCK_TIME = "1s"
PROVIDERS = len(localnet_providers.PLANS)
TENANT = "tenant"
TEST_KEYS = ("alice", "bob", TENANT, *(plan.name for plan in localnet_providers.PLANS))
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 30.0
# A node whose height does not move for this long is stalled: fifteen block times, more
# than a round whose proposer is down takes (CometBFT's 3 s propose timeout, then votes).
STALL_SECONDS = 15.0
HOME_FILES = (
    "config/genesis.json",
    "config/config.toml",
    "config/app.toml",
    "config/priv_validator_key.json",
    "config/node_key.json",
)


class LocalnetError(Exception):
    """The localnet cannot start (busy port, broken home) or stop; the message says why."""


@dataclass(frozen=True)
class Validator:
    """One validator of the localnet: its home, its ports and where it logs."""

    index: int
    home: Path
    ports: NodePorts

    @property
    def name(self) -> str:
        return f"validator{self.index}"

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rpc}"

    @property
    def rpc(self) -> CometRpc:
        return CometRpc(self.rpc_url, timeout=3.0)

    @property
    def app_log(self) -> Path:
        return self.home / "app.log"

    @property
    def comet_log(self) -> Path:
        return Home(self.home).comet_log


# p2p of validator 0 (RPC is +1), gRPC, metrics, REST API
DEFAULT_BASE_PORTS = (26656, 9090, 26660, 1317)


def planned(
    data: Path, count: int = VALIDATORS, base_ports: tuple[int, int, int, int] = DEFAULT_BASE_PORTS
) -> list[Validator]:
    """The validators a new localnet in data gets: validator i on the base ports + 10·i."""
    return [Validator(i, data / f"validator{i}", ports_of(i, *base_ports)) for i in range(count)]


def validators(data: Path = DATA) -> list[Validator]:
    """The validators whose homes exist in data, with the ports their configs name."""
    homes = sorted(
        (p for p in data.glob("validator*") if p.name.removeprefix("validator").isdigit()),
        key=lambda p: int(p.name.removeprefix("validator")),
    )
    return [_from_home(int(home.name.removeprefix("validator")), home) for home in homes]


def _port(address: str, what: str, path: Path) -> int:
    try:
        return int(address.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        raise LocalnetError(f"{path}: {what} {address!r} names no port") from None


def _from_home(index: int, home: Path) -> Validator:
    comet_config = Home(home).comet_config
    try:
        comet = tomllib.loads(comet_config.read_text())
        app = NodeConfig.load(Home(home).app_config)
        ports = NodePorts(
            p2p=_port(comet["p2p"]["laddr"], "p2p.laddr", comet_config),
            rpc=_port(comet["rpc"]["laddr"], "rpc.laddr", comet_config),
            grpc=_port(app.grpc_address, "grpc-address", Home(home).app_config),
            metrics=_port(app.metrics_address, "metrics-address", Home(home).app_config),
            api=_port(app.api_address, "[api] address", Home(home).app_config),
        )
    except (OSError, KeyError, tomllib.TOMLDecodeError, ConfigError) as error:
        raise LocalnetError(
            f"{home} is broken ({error}); remove {home.parent} to make a new network"
        ) from None
    return Validator(index, home, ports)


# --- process bookkeeping -------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/pid/stat after the command name, None if the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def _start_time(pid: int) -> str | None:
    """The kernel's start time of pid (field 22 of /proc/pid/stat), None if it is gone.

    Stored next to each pid so a stop never signals an unrelated process that reused it.
    """
    fields = _stat(pid)
    return fields[19] if fields else None


def _alive(record: dict[str, object]) -> bool:
    pid = int(str(record["pid"]))
    # A zombie child of ours has exited; reap it so it does not count as running.
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    fields = _stat(pid)
    return fields is not None and fields[19] == record.get("started") and fields[0] != "Z"


def read_pids(pid_file: Path = PID_FILE) -> dict[str, dict[str, object]]:
    if not pid_file.exists():
        return {}
    try:
        records: dict[str, dict[str, object]] = json.loads(pid_file.read_text())
    except ValueError:
        raise LocalnetError(f"{pid_file} is not valid JSON; remove it if nothing runs") from None
    return records


def running(pid_file: Path = PID_FILE) -> dict[str, dict[str, object]]:
    return {name: record for name, record in read_pids(pid_file).items() if _alive(record)}


# --- checks before starting ----------------------------------------------------------------


def check_homes(nodes: list[Validator]) -> None:
    """Raise LocalnetError naming the first missing file or a genesis that differs."""
    digests = {}
    for node in nodes:
        for relative in HOME_FILES:
            if not (node.home / relative).exists():
                raise LocalnetError(
                    f"{node.home / relative} is missing: the localnet homes are broken; "
                    f"remove {node.home.parent} to make a new network"
                )
        raw = (node.home / "config/genesis.json").read_bytes()
        try:
            json.loads(raw)
        except ValueError:
            raise LocalnetError(f"{node.home}/config/genesis.json is not valid JSON") from None
        digests[node.name] = hashlib.sha256(raw).hexdigest()
    if len(set(digests.values())) > 1:
        raise LocalnetError(
            "the validators' genesis files differ ("
            + ", ".join(f"{name} {digest[:12]}" for name, digest in digests.items())
            + f"); remove {nodes[0].home.parent} to make a new network"
        )


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def free_base(blocks: int = 4, width: int = 5) -> int:
    """A base port b with b + 10·i + {0, ..., width - 1} free for i < blocks (by default
    p2p, RPC, gRPC, metrics and REST API of 4 validators), for a localnet next to yours
    (the tests' and the benches')."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000, 10)
        if all(not port_in_use(base + 10 * i + k) for i in range(blocks) for k in range(width)):
            return base
    raise RuntimeError("no free block of ports")


def check_ports(nodes: list[Validator]) -> None:
    """Raise LocalnetError listing every port another process already listens on."""
    taken = []
    for node in nodes:
        for kind in ("p2p", "rpc", "grpc", "metrics", "api"):
            port = getattr(node.ports, kind)
            if port_in_use(port):
                taken.append(f"{port} ({node.name} {kind})")
    if taken:
        raise LocalnetError(
            "port already in use: "
            + ", ".join(taken)
            + "; stop whatever listens there (another localnet or `gpuchain start`?) "
            "and run `make localnet` again"
        )


# --- start, stop, status ---------------------------------------------------------------------


def create(data: Path, nodes: list[Validator]) -> None:
    try:
        make_testnet(data, len(nodes), CHAIN_ID, [n.ports for n in nodes], BLOCK_TIME, TEST_KEYS)
    except (ConfigError, subprocess.CalledProcessError) as error:
        raise LocalnetError(f"could not create the homes in {data}: {error}") from None


def spawn(node: Validator) -> NodeProcess:
    """Start `gpuchain start` for node, detached from this shell, its output in app.log."""
    runner = NodeProcess(node.home, node.rpc, node.app_log)
    runner.start()
    return runner


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return f"    ({path} does not exist)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join("    " + line for line in text)


def wait_for_blocks(nodes: list[Validator], processes: dict[str, NodeProcess], height: int) -> None:
    """Wait until every node has reached height; raise LocalnetError if one exits or stalls."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    pending = list(nodes)
    while pending:
        for node in list(pending):
            try:
                if processes[node.name].reached(height):
                    pending.remove(node)
            except NodeExited as error:
                raise LocalnetError(
                    f"{node.name} exited with code {error.returncode} while starting\n"
                    f"  {node.app_log}:\n{_tail(node.app_log)}\n"
                    f"  {node.comet_log}:\n{_tail(node.comet_log)}"
                ) from None
        if pending and time.monotonic() > deadline:
            names = ", ".join(n.name for n in pending)
            raise LocalnetError(
                f"no block {height} on {names} after {START_TIMEOUT_SECONDS:.0f}s; "
                f"see {pending[0].app_log} and {pending[0].comet_log}"
            )
        time.sleep(0.25)


def summary(nodes: list[Validator], planned_providers: list[LocalProvider]) -> str:
    """What a developer needs to use the running network: endpoints, providers, funded
    keys and what to do next."""
    chain_id = json.loads(Home(nodes[0].home).genesis.read_text())["chain_id"]
    lines = [f"localnet {chain_id}: {len(nodes)} validators making blocks"]
    for node in nodes:
        lines.append(
            f"  {node.name}  RPC {node.rpc_url}  gRPC 127.0.0.1:{node.ports.grpc}  "
            f"REST http://127.0.0.1:{node.ports.api}  "
            f"metrics http://127.0.0.1:{node.ports.metrics}/metrics  logs {node.home}/"
            "{app,cometbft}.log"
        )
    for provider in planned_providers:
        plan = provider.plan
        attributes = ",".join(f"{key}={value}" for key, value in plan.attributes)
        lines.append(
            f"  {provider.name}  gateway {provider.gateway_url}  {attributes}  "
            f"per block: {plan.cpu_milli}ugpc/CPU millicore, {plan.memory_gib}ugpc/GiB memory, "
            f"{plan.gpu_default}ugpc/GPU  log {provider.log}"
        )
    key_home = nodes[0].home
    # Each home's client.toml names its node, chain id and the test keyring.
    flags = f"--home {key_home}"
    lines.append(f"funded test keys (use with {flags}):")
    keyring = Keyring(key_home, "test")
    names = [info.name for info in keyring.list() if info.name in TEST_KEYS]
    for name in names:
        lines.append(f"  {name}  {keyring.show(name).address}")
    if names:
        lines.append(
            f"try: .venv/bin/gpuchain tx bank send {names[0]} "
            f"{keyring.show(names[-1]).address} 1000ugpc --yes {flags}"
        )
    if planned_providers and TENANT in names:
        lines.append(
            "next: `make demo` runs a tenant's journey (deploy, bids, lease, manifest, "
            "usage, payout, close); or by hand (docs/tenant-guide.md):"
        )
        lines.append(
            f"  .venv/bin/gpuchain tx deployment create localnet/examples/web-cpu.yaml "
            f"--deposit 5000000ugpc --from {TENANT} --yes {flags}"
        )
    lines.append(
        "stop with `make localnet-stop`; `make localnet-status` shows each node and provider; "
        "`make localnet-reset` starts a fresh chain"
    )
    return "\n".join(lines)


def start(
    data: Path = DATA,
    count: int = VALIDATORS,
    base_ports: tuple[int, int, int, int] = DEFAULT_BASE_PORTS,
    provider_count: int = PROVIDERS,
    gateway_base_port: int = localnet_providers.DEFAULT_GATEWAY_BASE_PORT,
) -> int:
    """Start every validator home in data that is not running (creating count of them and
    provider_count providers first if there are none), keep those that run, wait for a new
    block on each, start the providers that are down and print how to reach them all."""
    pid_file = data / PID_FILE.name
    alive = running(pid_file)
    fresh_chain = not data.exists() or not any(data.iterdir())
    if fresh_chain:
        fresh = planned(data, count, base_ports)
        check_ports(fresh)
        create(data, fresh)
        print(f"created a new chain {CHAIN_ID} with {count} validators in {data}")
    else:
        last = max(map(_height, validators(data)), default=0)
        print(
            f"reusing the existing chain in {data} (last block {last}); "
            "`make localnet-reset` starts a fresh one"
        )
    nodes = validators(data)
    if not nodes:
        raise LocalnetError(f"{data} holds no validatorN homes; remove it to make a new network")
    down = [node for node in nodes if node.name not in alive]
    if not down:
        print(f"localnet is already running ({', '.join(sorted(alive))})")
    elif alive:
        print(
            f"kept running: {', '.join(sorted(alive))}; "
            f"restarting: {', '.join(node.name for node in down)}"
        )
    check_homes(nodes)
    check_ports(down)
    records = {name: record for name, record in read_pids(pid_file).items() if name in alive}
    processes = {node.name: NodeProcess(node.home, node.rpc, node.app_log) for node in nodes}
    for node in down:
        process = spawn(node)
        processes[node.name] = process
        assert process.process is not None
        pid = process.process.pid
        records[node.name] = {"pid": pid, "started": _start_time(pid)}
        pid_file.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n")
    try:
        start_height = max(_height(node) for node in nodes)
        wait_for_blocks(nodes, processes, start_height + 1)
    except (LocalnetError, KeyboardInterrupt):
        if alive:
            print("restarting failed; `make localnet-stop` stops every validator", file=sys.stderr)
        else:
            print("starting failed; stopping the validators that did start", file=sys.stderr)
            stop(data)
        raise
    key_home = nodes[0].home
    planned_providers = (
        localnet_providers.providers(data, key_home, provider_count, gateway_base_port)
        if fresh_chain
        else localnet_providers.on_disk(data, key_home)
    )
    start_providers(planned_providers, nodes[0], pid_file, alive)
    print(summary(nodes, planned_providers))
    return 0


PROVIDER_START_TIMEOUT_SECONDS = 90.0


def start_providers(
    planned_providers: list[LocalProvider],
    node: Validator,
    pid_file: Path,
    alive: dict[str, dict[str, object]],
) -> None:
    """Register the providers not made yet, then start the daemons that are down and wait
    until each says it is ready; LocalnetError naming the provider and its log if not."""
    down = [provider for provider in planned_providers if provider.name not in alive]
    if not down:
        return
    docker_host = localnet_providers.prepare_engine()
    busy = [f"{p.gateway_port} ({p.name} gateway)" for p in down if port_in_use(p.gateway_port)]
    if busy:
        raise LocalnetError(
            f"port already in use: {', '.join(busy)}; stop whatever listens there and run "
            "`make localnet` again"
        )
    for provider in down:
        if not provider.configured:
            localnet_providers.configure(provider, node.rpc_url, docker_host)
            print(f"registered {provider.name} on chain (gateway {provider.gateway_url})")
    records = read_pids(pid_file)
    offsets = {}
    for provider in down:
        print(f"starting {provider.name}'s daemon (log {provider.log})")
        offsets[provider.name] = localnet_providers.log_size(provider)
        pid = localnet_providers.spawn(provider).pid
        records[provider.name] = {"pid": pid, "started": _start_time(pid)}
        pid_file.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n")
    deadline = time.monotonic() + PROVIDER_START_TIMEOUT_SECONDS
    pending = list(down)
    while pending:
        for provider in list(pending):
            if localnet_providers.ready(provider, offsets[provider.name]):
                pending.remove(provider)
            elif not _alive(records[provider.name]):
                raise LocalnetError(
                    f"{provider.name}'s daemon exited while starting\n"
                    f"  {provider.log}:\n{_tail(provider.log)}"
                )
        if pending and time.monotonic() > deadline:
            raise LocalnetError(
                f"{pending[0].name}'s daemon not ready after "
                f"{PROVIDER_START_TIMEOUT_SECONDS:.0f}s; see {pending[0].log}"
            )
        time.sleep(0.25)


def reset(
    data: Path = DATA,
    count: int = VALIDATORS,
    base_ports: tuple[int, int, int, int] = DEFAULT_BASE_PORTS,
    provider_count: int = PROVIDERS,
    gateway_base_port: int = localnet_providers.DEFAULT_GATEWAY_BASE_PORT,
) -> int:
    """`make localnet-reset`: stop the localnet, delete its chain and its providers'
    containers, and start a fresh one."""
    if stop(data) != 0:
        raise LocalnetError("some processes would not stop; the old chain is kept")
    if data.exists():
        homes = validators(data)
        if homes:
            removed = localnet_providers.remove_containers(
                localnet_providers.on_disk(data, homes[0].home)
            )
            if removed:
                print(f"removed {removed} container(s) of the old chain's leases")
        shutil.rmtree(data)
        print(f"removed the old chain in {data}")
    return start(data, count, base_ports, provider_count, gateway_base_port)


def _height(node: Validator) -> int:
    """The last block height node's CometBFT stored, read from its home (0 for a new chain)."""
    state = node.home / "data" / "priv_validator_state.json"
    with contextlib.suppress(OSError, ValueError, KeyError):
        return int(json.loads(state.read_text())["height"])
    return 0


def stop(data: Path = DATA, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
    """SIGTERM every recorded process, SIGKILL those still there after timeout; report each."""
    pid_file = data / PID_FILE.name
    records = read_pids(pid_file)
    if not records:
        busy = [f"{n.name} RPC {n.ports.rpc}" for n in validators(data) if port_in_use(n.ports.rpc)]
        print(
            "no localnet is running"
            if not busy
            else f"no localnet processes are recorded in {pid_file}, yet ports are in use "
            f"({', '.join(busy)}): stop those processes by hand"
        )
        return 0 if not busy else 1
    alive = {name: r for name, r in records.items() if _alive(r)}
    for name in sorted(set(records) - set(alive)):
        print(f"{name}: was not running")
    for record in alive.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(str(record["pid"])), signal.SIGTERM)
    began = time.monotonic()
    deadline = began + timeout
    waiting = dict(alive)
    while waiting and time.monotonic() < deadline:
        for name, record in list(waiting.items()):
            if not _alive(record):
                print(f"{name}: stopped (pid {record['pid']}, {time.monotonic() - began:.1f}s)")
                del waiting[name]
        time.sleep(0.1)
    for name, record in waiting.items():
        pid = int(str(record["pid"]))
        # The node leads its own process group; its CometBFT child is in it too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        print(f"{name}: killed (pid {pid} ignored SIGTERM for {timeout:.0f}s)")
    reaped = time.monotonic() + 10
    unkillable = [name for name, record in waiting.items() if not _gone(record, reaped)]
    if unkillable:
        print(f"still running after SIGKILL: {', '.join(unkillable)}; see {pid_file}")
        return 1
    pid_file.unlink(missing_ok=True)
    return 0


def _gone(record: dict[str, object], deadline: float) -> bool:
    """Wait (until deadline) for a killed process to disappear; False if it is still there."""
    while _alive(record):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def status(data: Path = DATA, stall_seconds: float = STALL_SECONDS) -> int:
    """Print each node as running, stopped, or running but stalled (its height did not move
    within stall_seconds), with its height, peers and whether it is in the validator set;
    exit 1 unless every node is running."""
    nodes = validators(data)
    if not nodes:
        print(f"no localnet in {data}; `make localnet` creates one")
        return 1
    alive = running(data / PID_FILE.name)
    first = {node.name: _rpc_height(node) for node in nodes}
    moved = _heights_that_move(nodes, first, stall_seconds)
    all_up = True
    for node in nodes:
        pid = alive.get(node.name, {}).get("pid")
        process = f"pid {pid}" if pid else "no process"
        try:
            info = node.rpc.status()
            peers = int(node.rpc.call("net_info")["n_peers"])
            height = int(info["sync_info"]["latest_block_height"])
            address = info["validator_info"]["address"]
            in_set = address in validator_addresses(node.rpc, height)
        except (RpcError, KeyError, ValueError) as error:
            all_up = False
            if pid:
                print(f"{node.name}: running but stalled: RPC does not answer ({process}; {error})")
            else:
                print(f"{node.name}: stopped ({process}; {error}); `make localnet` restarts it")
            continue
        catching_up = ", catching up" if info["sync_info"]["catching_up"] else ""
        membership = "in the validator set" if in_set else "NOT in the validator set"
        if node.name in moved:
            state = "running"
        else:
            all_up = False
            state = f"running but stalled (no new block in {stall_seconds:.0f}s)"
        print(
            f"{node.name}: {state}, height {height}, {peers} peers, {membership}{catching_up} "
            f"({process}, RPC {node.rpc_url})"
        )
    for provider in localnet_providers.on_disk(data, nodes[0].home):
        all_up = _provider_status(provider, alive.get(provider.name, {}).get("pid")) and all_up
    return 0 if all_up else 1


def _provider_status(provider: LocalProvider, pid: object) -> bool:
    """Print whether provider's daemon runs and its gateway listens; True if both."""
    where = f"gateway {provider.gateway_url}, log {provider.log}"
    if not pid:
        print(f"{provider.name}: stopped (no process; {where}); `make localnet` restarts it")
        return False
    if not port_in_use(provider.gateway_port):
        print(f"{provider.name}: running but its gateway does not listen (pid {pid}, {where})")
        return False
    print(
        f"{provider.name}: running (pid {pid}, {where}); "
        f"`.venv/bin/gpuchain-provider status --home {provider.home}` shows its bids and leases"
    )
    return True


def _rpc_height(node: Validator) -> int | None:
    """The node's latest height over RPC, None if it does not answer."""
    try:
        return node.rpc.latest_height()
    except (RpcError, KeyError, ValueError):
        return None


def _heights_that_move(
    nodes: list[Validator], first: dict[str, int | None], within: float
) -> set[str]:
    """The names of the nodes whose height rises above first within `within` seconds."""
    moved: set[str] = set()
    pending = [node for node in nodes if first[node.name] is not None]
    deadline = time.monotonic() + within
    while pending and time.monotonic() < deadline:
        time.sleep(0.2)
        for node in list(pending):
            height = _rpc_height(node)
            if height is not None and height > (first[node.name] or 0):
                moved.add(node.name)
                pending.remove(node)
    return moved


def validator_addresses(rpc: CometRpc, height: int) -> set[str]:
    """Consensus addresses (upper-case hex) of the validator set at height, every page."""
    addresses: set[str] = set()
    page = 1
    while True:
        result = rpc.call("validators", height=str(height), page=str(page), per_page="100")
        addresses.update(v["address"] for v in result["validators"])
        if len(addresses) >= int(result["total"]) or not result["validators"]:
            return addresses
        page += 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--stop", action="store_true", help="stop the running localnet")
    action.add_argument("--status", action="store_true", help="show each node's state")
    action.add_argument(
        "--reset", action="store_true", help="stop, delete the chain and start a fresh one"
    )
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the validator homes")
    parser.add_argument("--validators", type=int, default=VALIDATORS, help="for a new network")
    parser.add_argument(
        "--base-port", type=int, default=DEFAULT_BASE_PORTS[0], help="p2p port of validator0"
    )
    parser.add_argument("--grpc-base-port", type=int, default=DEFAULT_BASE_PORTS[1])
    parser.add_argument("--metrics-base-port", type=int, default=DEFAULT_BASE_PORTS[2])
    parser.add_argument("--api-base-port", type=int, default=DEFAULT_BASE_PORTS[3])
    parser.add_argument(
        "--providers",
        type=int,
        choices=range(PROVIDERS + 1),
        default=PROVIDERS,
        help="providers for a new network (0 for validators only)",
    )
    parser.add_argument(
        "--gateway-base-port",
        type=int,
        default=localnet_providers.DEFAULT_GATEWAY_BASE_PORT,
        help="gateway port of provider1 (provider i: + i - 1)",
    )
    args = parser.parse_args()
    data = args.data.resolve()
    try:
        cometbft_binary()
        if args.stop:
            return stop(data)
        if args.status:
            return status(data)
        base_ports = (
            args.base_port,
            args.grpc_base_port,
            args.metrics_base_port,
            args.api_base_port,
        )
        if args.reset:
            return reset(data, args.validators, base_ports, args.providers, args.gateway_base_port)
        return start(data, args.validators, base_ports, args.providers, args.gateway_base_port)
    except (LocalnetError, ConfigError, ProviderSetupError) as error:
        print(f"localnet: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
