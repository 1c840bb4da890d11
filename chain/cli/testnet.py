"""`gpuchain testnet`: homes for an N-validator network on one machine, as Cosmos's testnet.

Validator i uses the base ports plus 10·i (p2p 26656, RPC 26657, gRPC 9090, metrics
26660, REST API 1317), its own consensus and operator keys (test keyring), and a shared
genesis whose gentxs bond every validator with the same stake; peers are listed on loopback,
and only these homes allow several peers on one IP and non-routable addresses.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from chain.cli.gentx import build_gentx, collect_gentxs, fund
from chain.cli.node_commands import init_home
from chain.cli.output import CommandError, emit
from chain.coins import Coin, Coins
from chain.config import Home, NodeConfig, cometbft_binary, set_toml_values
from chain.keyring import Keyring

# Every node of a one-machine network shares 127.0.0.1 and dials peers that are not
# routable on the internet; a real node keeps CometBFT's defaults, which refuse both.
LOCAL_NETWORK_P2P = {("p2p", "allow_duplicate_ip"): True, ("p2p", "addr_book_strict"): False}
VALIDATOR_BALANCE = 10_000_000_000
VALIDATOR_STAKE = 1_000_000_000
TEST_KEY_BALANCE = 1_000_000_000_000


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    # Not built on `common`: as in Cosmos, --output here names the folder, not the format.
    testnet = commands.add_parser("testnet", help="make N validator homes")
    testnet.add_argument("--validators", type=int, default=4)
    testnet.add_argument("--chain-id", default=argparse.SUPPRESS)
    testnet.add_argument(
        "--output", dest="output_dir", type=Path, required=True, help="folder for the homes"
    )
    testnet.add_argument("--base-port", type=int, default=26656, help="p2p port of validator 0")
    testnet.add_argument("--grpc-base-port", type=int, default=9090)
    testnet.add_argument("--metrics-base-port", type=int, default=26660)
    testnet.add_argument("--api-base-port", type=int, default=1317, help="REST API port")
    testnet.add_argument("--block-time", default="1s", help="CometBFT timeout_commit")
    testnet.add_argument("--keys", default="alice,bob", help="funded test keys in validator0")
    testnet.set_defaults(func=run_testnet)


@dataclass(frozen=True)
class NodePorts:
    p2p: int
    rpc: int
    grpc: int
    metrics: int
    api: int


def ports_of(index: int, base: int, grpc_base: int, metrics_base: int, api_base: int) -> NodePorts:
    offset = 10 * index
    return NodePorts(
        base + offset,
        base + 1 + offset,
        grpc_base + offset,
        metrics_base + offset,
        api_base + offset,
    )


def make_testnet(
    output: Path,
    validators: int,
    chain_id: str,
    ports: list[NodePorts],
    block_time: str = "1s",
    test_keys: tuple[str, ...] = ("alice", "bob"),
) -> list[Home]:
    """Write every home; returns them in validator order."""
    if validators < 1:
        raise CommandError("--validators must be at least 1")
    if output.exists() and any(output.iterdir()):
        raise CommandError(f"{output} is not empty; choose another --output or remove it")
    homes = []
    gentxs = []
    operators = []
    for index in range(validators):
        name = f"validator{index}"
        config = NodeConfig(
            grpc_address=f"127.0.0.1:{ports[index].grpc}",
            metrics_address=f"127.0.0.1:{ports[index].metrics}",
            api_address=f"127.0.0.1:{ports[index].api}",
        )
        home = init_home(output / name, name, chain_id, node_config=config)
        set_toml_values(
            home.comet_config,
            {
                ("rpc", "laddr"): f"tcp://127.0.0.1:{ports[index].rpc}",
                ("p2p", "laddr"): f"tcp://127.0.0.1:{ports[index].p2p}",
                ("consensus", "timeout_commit"): block_time,
                **LOCAL_NETWORK_P2P,
            },
        )
        operator = Keyring(home.root, "test").add(name)
        operators.append(operator.address)
        homes.append(home)
    genesis = json.loads(homes[0].genesis.read_text())
    for address in operators:
        fund(genesis, address, Coins.of([Coin("ugpc", VALIDATOR_BALANCE)]))
    keyring = Keyring(homes[0].root, "test")
    for name in test_keys:
        fund(genesis, keyring.add(name).address, Coins.of([Coin("ugpc", TEST_KEY_BALANCE)]))
    for index, home in enumerate(homes):
        key = Keyring(home.root, "test").private_key(f"validator{index}")
        raw = build_gentx(home, key, VALIDATOR_STAKE, f"validator{index}", chain_id)
        gentxs.append(base64.b64encode(raw).decode())
    collect_gentxs(genesis, gentxs)
    node_ids = [
        subprocess.run(
            [cometbft_binary(), "show-node-id", "--home", str(home.root)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for home in homes
    ]
    for index, home in enumerate(homes):
        home.genesis.write_text(json.dumps(genesis, indent=2) + "\n")
        peers = ",".join(
            f"{node_ids[other]}@127.0.0.1:{ports[other].p2p}"
            for other in range(validators)
            if other != index
        )
        set_toml_values(home.comet_config, {("p2p", "persistent_peers"): peers})
    return homes


def run_testnet(args: argparse.Namespace) -> int:
    chain_id = args.chain_id or "gpuchain-testnet"
    ports = [
        ports_of(i, args.base_port, args.grpc_base_port, args.metrics_base_port, args.api_base_port)
        for i in range(args.validators)
    ]
    homes = make_testnet(
        args.output_dir,
        args.validators,
        chain_id,
        ports,
        args.block_time,
        tuple(k for k in args.keys.split(",") if k),
    )
    summary = [
        {"home": str(home.root), "rpc": f"tcp://127.0.0.1:{ports[i].rpc}", "p2p": ports[i].p2p}
        for i, home in enumerate(homes)
    ]
    emit(
        args,
        {"chain_id": chain_id, "validators": summary},
        "\n".join(f"{s['home']}  rpc {s['rpc']}" for s in summary),
    )
    return 0
