"""Laying out node homes: one node (`gpuchain init`, optionally a working one-validator
chain) or an N-validator network on one machine (`gpuchain testnet`, `make localnet`).

CometBFT's own `init` makes the keys and config; we set the chain id, app state, consensus
params and ports. Validator i of a testnet uses the base ports plus 10·i (p2p 26656, RPC
26657, gRPC 9090, metrics 26660, REST API 1317), its own consensus and operator keys (test
keyring), and a shared genesis whose gentxs bond every validator with the same stake.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain.client_config import write_client_config
from chain.coins import Coin, Coins
from chain.config import (
    ConfigError,
    Home,
    NodeConfig,
    cometbft_binary,
    consensus_key,
    make_private_dir,
    set_toml_values,
)
from chain.crypto import PrivateKey
from chain.genesis import collect_gentxs, fund, sign_gentx
from chain.keyring import Keyring
from chain.wiring import DEFAULT_INDEX_EVENTS, default_app_state, gentx_message

# A finite block gas limit bounds a block's execution time: at the ~100 M gas/s this app
# executes sends on one core (bench: docs/security.md), a full block takes about 0.4 s,
# well inside the 1 s block time. It holds four txs at auth's max_tx_gas.
BLOCK_MAX_GAS = 40_000_000
# CometBFT waits this long after each commit, so no two blocks come closer together.
COMMIT_TIMEOUT_SECONDS = 1
OPERATOR_BALANCE = 1_000_000_000
OPERATOR_STAKE = 100_000_000
# Every node of a one-machine network shares 127.0.0.1 and dials peers that are not
# routable on the internet; a real node keeps CometBFT's defaults, which refuse both.
LOCAL_NETWORK_P2P = {("p2p", "allow_duplicate_ip"): True, ("p2p", "addr_book_strict"): False}
VALIDATOR_BALANCE = 10_000_000_000
VALIDATOR_STAKE = 1_000_000_000
TEST_KEY_BALANCE = 1_000_000_000_000


def match_evidence_age(genesis: dict[str, Any]) -> None:
    """Make the consensus evidence max age the staking unbonding period: evidence older
    than unbonding_blocks blocks is refused, and, blocks coming at most one per
    COMMIT_TIMEOUT_SECONDS, so is evidence older than that many seconds. Call it again
    after changing `unbonding_blocks` in a genesis."""
    unbonding = int(genesis["app_state"]["staking"]["params"]["unbonding_blocks"])
    evidence = genesis["consensus_params"]["evidence"]
    evidence["max_age_num_blocks"] = str(unbonding)
    evidence["max_age_duration"] = str(unbonding * COMMIT_TIMEOUT_SECONDS * 1_000_000_000)


def init_home(
    root: Path,
    moniker: str,
    chain_id: str,
    overwrite: bool = False,
    node_config: NodeConfig | None = None,
) -> Home:
    """A node home with keys, config and a genesis without validators. Raises ConfigError
    when a genesis exists (and not overwrite) or `cometbft init` fails."""
    home = Home(root)
    if home.genesis.exists() and not overwrite:
        raise ConfigError(f"{home.genesis} already exists; pass --overwrite to replace it")
    make_private_dir(root)
    result = subprocess.run(
        [cometbft_binary(), "init", "--home", str(root)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise ConfigError(f"cometbft init failed: {result.stderr.strip()}")
    genesis = json.loads(home.genesis.read_text())
    genesis["chain_id"] = chain_id
    genesis["app_state"] = default_app_state()
    genesis["consensus_params"]["abci"] = {"vote_extensions_enable_height": "0"}
    genesis["consensus_params"]["block"]["max_gas"] = str(BLOCK_MAX_GAS)
    match_evidence_age(genesis)
    genesis["validators"] = []  # the app names them in InitChain, from gentxs
    home.genesis.write_text(json.dumps(genesis, indent=2) + "\n")
    set_toml_values(
        home.comet_config,
        {
            ("", "moniker"): moniker,
            ("", "proxy_app"): f"unix://{home.abci_socket}",
            ("rpc", "laddr"): "tcp://127.0.0.1:26657",
            ("p2p", "laddr"): "tcp://0.0.0.0:26656",
            ("consensus", "timeout_commit"): f"{COMMIT_TIMEOUT_SECONDS}s",
            ("tx_index", "indexer"): "kv",
        },
    )
    config = node_config or NodeConfig()
    if config.index_events is None:
        config = dataclasses.replace(config, index_events=DEFAULT_INDEX_EVENTS)
    home.app_config.write_text(config.to_toml())
    write_client_config(
        root,
        {
            "chain-id": chain_id,
            "node": "tcp://127.0.0.1:26657",
            "gas-prices": config.minimum_gas_prices,
        },
    )
    return home


def build_gentx(
    home: Home,
    operator: PrivateKey,
    amount: Coin,
    moniker: str,
    chain_id: str,
    commission: tuple[str, str, str] | None = None,
) -> bytes:
    """A signed gentx bonding amount from operator's account to this node's consensus key."""
    message = gentx_message(
        operator.address, consensus_key(home).public_key, amount, moniker, commission
    )
    return sign_gentx(operator, message, chain_id, moniker)


def bond_operator(home: Home, operator: PrivateKey, moniker: str, chain_id: str) -> None:
    """Make a lone node a working chain: fund operator's account in genesis and bond this
    node's consensus key from it with a gentx (`gpuchain init --from KEY`)."""
    genesis = json.loads(home.genesis.read_text())
    fund(genesis, operator.bech32_address, Coins.of([Coin("ugpc", OPERATOR_BALANCE)]))
    gentx = build_gentx(home, operator, Coin("ugpc", OPERATOR_STAKE), moniker, chain_id)
    collect_gentxs(genesis, [base64.b64encode(gentx).decode()])
    home.genesis.write_text(json.dumps(genesis, indent=2) + "\n")


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
    """Write every home; returns them in validator order. Raises ConfigError for fewer than
    one validator or an output folder that is not empty."""
    if validators < 1:
        raise ConfigError("--validators must be at least 1")
    if output.exists() and any(output.iterdir()):
        raise ConfigError(f"{output} is not empty; choose another --output or remove it")
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
        # Its keys are in the test keyring, so commands there need only --home.
        write_client_config(
            home.root,
            {"node": f"tcp://127.0.0.1:{ports[index].rpc}", "keyring-backend": "test"},
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
        raw = build_gentx(home, key, Coin("ugpc", VALIDATOR_STAKE), f"validator{index}", chain_id)
        gentxs.append(base64.b64encode(raw).decode())
    collect_gentxs(genesis, gentxs)
    node_ids = [node_id(home) for home in homes]
    for index, home in enumerate(homes):
        home.genesis.write_text(json.dumps(genesis, indent=2) + "\n")
        peers = ",".join(
            f"{node_ids[other]}@127.0.0.1:{ports[other].p2p}"
            for other in range(validators)
            if other != index
        )
        set_toml_values(home.comet_config, {("p2p", "persistent_peers"): peers})
    return homes


def node_id(home: Home) -> str:
    """The node's p2p id, as CometBFT derives it from node_key.json."""
    return subprocess.run(
        [cometbft_binary(), "show-node-id", "--home", str(home.root)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
