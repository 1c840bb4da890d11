"""A real multi-validator network for end-to-end tests: homes from `make_testnet` on free
loopback ports, one `gpuchain start` process per validator, RPC helpers to read it.

Every process starts in its own session, so `Network.stop_all()` (called by every fixture's
teardown) can kill each one with its CometBFT child even when a test fails halfway.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from chain.coins import Coins
from chain.config import Home, NodeConfig, cometbft_binary, consensus_key, set_toml_values
from chain.crypto import PrivateKey
from chain.home import (
    LOCAL_NETWORK_P2P,
    NodePorts,
    init_home,
    make_testnet,
    match_evidence_age,
)
from chain.keyring import Keyring
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query_pb2
from chain.process import NodeProcess
from chain.rpc import CometRpc, RpcError
from chain.testing import account_of, answer_json, free_port, query_messages
from chain.tx import build_and_sign, tx_hash
from localnet.run import free_base

CHAIN_ID = "gpuchain-network-test"
BLOCK_TIME = "200ms"
BLOCK_ID_FLAG_COMMIT = 2
REPO = Path(__file__).resolve().parents[2]


def free_ports() -> NodePorts:
    return NodePorts(free_port(), free_port(), free_port(), free_port(), free_port())


@dataclass
class Node:
    """One validator (or full node) process: `gpuchain start --home HOME`."""

    name: str
    home: Path
    ports: NodePorts
    runner: NodeProcess = field(init=False)

    def __post_init__(self) -> None:
        self.runner = NodeProcess(self.home, self.rpc, self.app_log)

    @property
    def rpc(self) -> CometRpc:
        return CometRpc(f"tcp://127.0.0.1:{self.ports.rpc}", timeout=5.0)

    @property
    def app_log(self) -> Path:
        return self.home / "app.log"

    @property
    def consensus_key(self) -> PrivateKey:
        return consensus_key(Home(self.home))

    @property
    def consensus_address(self) -> str:
        """Upper-case hex, as CometBFT names the validator in votes and `/validators`."""
        data = json.loads((self.home / "config" / "priv_validator_key.json").read_text())
        return str(data["address"])

    def key(self, name: str) -> PrivateKey:
        return Keyring(self.home, "test").private_key(name)

    def start(self) -> None:
        self.runner.start()

    def stop(self, timeout: float = 20.0) -> None:
        self.runner.stop(timeout)

    def kill(self) -> None:
        self.runner.kill()

    def height(self) -> int:
        return self.rpc.latest_height()

    def alive(self) -> bool:
        return self.runner.alive()

    def wait_for_height(self, height: int, timeout: float = 60.0) -> None:
        self.runner.wait_for_height(height, timeout)


@dataclass
class Network:
    """N validators from `make_testnet`, plus any full nodes the test adds."""

    root: Path
    nodes: list[Node] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        root: Path,
        validators: int = 4,
        block_time: str = BLOCK_TIME,
        app_state: Callable[[dict[str, Any]], None] | None = None,
    ) -> Network:
        """Write the homes; app_state(genesis["app_state"]) may change params before start."""
        ports = [free_ports() for _ in range(validators)]
        homes = make_testnet(root, validators, CHAIN_ID, ports, block_time)
        genesis = json.loads(homes[0].genesis.read_text())
        if app_state is not None:
            app_state(genesis["app_state"])
            match_evidence_age(genesis)
        for home in homes:
            home.genesis.write_text(json.dumps(genesis, indent=2) + "\n")
            _fast_consensus(home, block_time)
        return cls(
            root, [Node(f"validator{i}", home.root, ports[i]) for i, home in enumerate(homes)]
        )

    def add_full_node(self, name: str) -> Node:
        """A new home with the network's genesis and every running node as a persistent peer."""
        ports = free_ports()
        home = init_home(
            self.root / name,
            name,
            CHAIN_ID,
            node_config=NodeConfig(
                grpc_address=f"127.0.0.1:{ports.grpc}",
                metrics_address=f"127.0.0.1:{ports.metrics}",
                api_address=f"127.0.0.1:{ports.api}",
            ),
        )
        home.genesis.write_bytes((self.nodes[0].home / "config" / "genesis.json").read_bytes())
        peers = ",".join(f"{node_id(n.home)}@127.0.0.1:{n.ports.p2p}" for n in self.nodes)
        set_toml_values(
            home.comet_config,
            {
                ("rpc", "laddr"): f"tcp://127.0.0.1:{ports.rpc}",
                ("p2p", "laddr"): f"tcp://127.0.0.1:{ports.p2p}",
                ("p2p", "persistent_peers"): peers,
                **LOCAL_NETWORK_P2P,
            },
        )
        _fast_consensus(home, BLOCK_TIME)
        node = Node(name, home.root, ports)
        self.nodes.append(node)
        return node

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    @property
    def running(self) -> list[Node]:
        return [n for n in self.nodes if n.runner.process is not None]

    def start(self, nodes: Iterable[Node] | None = None) -> None:
        for node in self.nodes if nodes is None else nodes:
            node.start()

    def stop_all(self) -> None:
        """Stop every process, in parallel, however the test ended."""
        for node in self.running:
            node.runner.terminate()
        for node in self.running:
            node.stop(timeout=20)

    def height(self) -> int:
        """The highest height any running node reports."""
        heights = []
        for node in self.running:
            with contextlib.suppress(RpcError):
                heights.append(node.height())
        return max(heights, default=0)

    def wait_for_height(
        self, height: int, nodes: Sequence[Node] | None = None, timeout: float = 60.0
    ) -> None:
        for node in self.running if nodes is None else nodes:
            node.wait_for_height(height, timeout)

    @property
    def rpc(self) -> CometRpc:
        return self.running[0].rpc

    # Reading state

    def account(self, address: str) -> tuple[int, int]:
        """(account number, sequence) of address in the latest committed state."""
        return account_of(self.rpc, address)

    def balance(self, address: str, denom: str = "ugpc") -> tuple[int, int]:
        """(height, amount): the balance and the committed height it was read at."""
        response = self.rpc.abci_query(
            "/cosmos.bank.v1beta1.Query/Balance",
            bank_query_pb2.QueryBalanceRequest(address=address, denom=denom).SerializeToString(),
        )
        assert not response.get("code"), response.get("log")
        answer = bank_query_pb2.QueryBalanceResponse.FromString(base64.b64decode(response["value"]))
        return int(response["height"]), int(answer.balance.amount or 0)

    def query(self, path: str, arguments: dict[str, Any] | None = None) -> Any:
        """A typed query (`/cosmos.staking.v1beta1.Query/Validators`, ...), its request and
        answer as proto3 JSON (see chain.testing.answer_json)."""
        request, response = query_messages(path, arguments)
        return answer_json(self.rpc.query_message(path, request, response))

    def validator_powers(self, height: int | None = None) -> dict[str, int]:
        """CometBFT's validator set: consensus address (hex) → voting power."""
        params = {"per_page": "100"}
        if height is not None:
            params["height"] = str(height)
        result = self.rpc.call("validators", **params)
        return {v["address"]: int(v["voting_power"]) for v in result["validators"]}

    def wait_until(
        self, condition: Callable[[], Any], timeout: float = 60.0, what: str = "condition"
    ) -> Any:
        """Poll condition() (RPC errors count as not yet) until it is truthy; return it."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(RpcError):
                value = condition()
                if value:
                    return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not met within {timeout:.0f}s")
            time.sleep(0.2)

    def wait_for_commit_signatures(
        self, node: Node, count: int, after: int, timeout: float = 60.0
    ) -> list[int]:
        """Heights above `after` whose last commit holds node's precommit, once there are
        `count` of them; bounded by timeout rather than a fixed window of blocks, because on
        a loaded machine a precommit that arrives late is left out of the next last commit."""
        signed: list[int] = []
        checked = after
        deadline = time.monotonic() + timeout
        while len(signed) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{node.name} signed only {signed} of heights {after + 1}..{checked}"
                    f" within {timeout:.0f}s"
                )
            with contextlib.suppress(RpcError):
                top = self.height()
                while checked < top and len(signed) < count:
                    if node.consensus_address in commit_signers(self.rpc, checked + 1):
                        signed.append(checked + 1)
                    checked += 1
            time.sleep(0.2)
        return signed

    # Writing

    def send(
        self,
        key: PrivateKey,
        messages: Sequence[Message],
        fee: str = "5000ugpc",
        gas: int = 400_000,
    ) -> dict[str, Any]:
        """Sign with key's current account number and sequence, broadcast, and wait for the
        block; asserts the tx succeeded and returns its `/tx` result."""
        number, sequence = self.account(key.bech32_address)
        raw = build_and_sign(
            key,
            messages,
            chain_id=CHAIN_ID,
            account_number=number,
            sequence=sequence,
            fee=Coins.parse(fee),
            gas_limit=gas,
        )
        checked = self.rpc.broadcast_tx_sync(raw)
        assert checked["code"] == 0, f"CheckTx refused it: {checked['log']}"
        result = self.rpc.wait_for_tx(tx_hash(raw), timeout=60)
        assert result["tx_result"]["code"] == 0, result["tx_result"]["log"]
        return result


def node_id(home: Path) -> str:
    return subprocess.run(
        [cometbft_binary(), "show-node-id", "--home", str(home)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _fast_consensus(home: Home, block_time: str) -> None:
    """Short timeouts, so a round whose proposer is down costs well under a second."""
    set_toml_values(
        home.comet_config,
        {
            ("consensus", "timeout_commit"): block_time,
            ("consensus", "timeout_propose"): "800ms",
            ("consensus", "timeout_prevote"): "300ms",
            ("consensus", "timeout_precommit"): "300ms",
        },
    )


def commit_signers(rpc: CometRpc, height: int) -> set[str]:
    """Validators whose precommit for block height-1 is in block height's last commit."""
    block = rpc.block(height)["block"]
    return {
        s["validator_address"]
        for s in block["last_commit"]["signatures"]
        if s["block_id_flag"] == BLOCK_ID_FLAG_COMMIT
    }


# -- `make localnet` in a folder of its own ---------------------------------------------


class Localnet:
    """`python -m localnet.run` (what `make localnet*` runs) on a folder and free ports of
    its own; providers: how many a new network gets (their gateways on free ports too)."""

    def __init__(self, data: Path, providers: int = 2) -> None:
        self.data = data
        self.base = free_base()
        self.providers = providers
        self.gateway_base = free_base(blocks=1, width=providers or 1)

    def run(self, *flags: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "localnet.run",
                *flags,
                "--data",
                str(self.data),
                "--base-port",
                str(self.base),
                "--grpc-base-port",
                str(self.base + 2),
                "--metrics-base-port",
                str(self.base + 3),
                "--api-base-port",
                str(self.base + 4),
                "--providers",
                str(self.providers),
                "--gateway-base-port",
                str(self.gateway_base),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def rpc(self, index: int) -> CometRpc:
        return CometRpc(f"tcp://127.0.0.1:{self.base + 10 * index + 1}", timeout=3)

    def pids(self) -> list[int]:
        path = self.data / "localnet.pids"
        return [int(r["pid"]) for r in json.loads(path.read_text()).values()]

    def stop(self) -> None:
        """`--stop`, then SIGKILL whatever of ours is left: nothing may outlive the suite."""
        if not (self.data / "localnet.pids").exists():
            return
        pids = self.pids()
        self.run("--stop", timeout=60)
        for pid in pids:
            if process_exists(pid):
                os.killpg(pid, 9)


def process_exists(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
