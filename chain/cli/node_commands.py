"""`gpuchain init`, `start` and `status`: making and running a node."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from chain.cli.gentx import bond_operator
from chain.cli.output import CommandError, emit
from chain.config import (
    ConfigError,
    Home,
    NodeConfig,
    cometbft_binary,
    make_private_dir,
    set_toml_values,
)
from chain.crypto import PrivateKey
from chain.rpc import CometRpc, RpcError
from chain.wiring import default_app_state

# A finite block gas limit bounds a block's execution time: at the ~100 M gas/s this app
# executes sends on one core (bench: docs/security.md), a full block takes about 0.4 s,
# well inside the 1 s block time. It holds four txs at auth's max_tx_gas.
BLOCK_MAX_GAS = 40_000_000
# CometBFT waits this long after each commit, so no two blocks come closer together.
COMMIT_TIMEOUT_SECONDS = 1


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    init = commands.add_parser(
        "init",
        parents=[common],
        help="create a node home and genesis",
        description="Create the node's home, keys and genesis. With --from KEY, the keyring "
        "account KEY is funded in genesis and signs a gentx bonding this node's consensus "
        "key, so the home is a working one-validator chain; the consensus key itself "
        "holds no funds.",
    )
    init.add_argument("moniker")
    init.add_argument("--overwrite", action="store_true", help="replace an existing genesis")
    init.add_argument(
        "--from",
        dest="from_key",
        metavar="KEY",
        help="keyring key that funds and operates this node's validator (see `keys add`)",
    )
    init.set_defaults(func=run_init)

    start = commands.add_parser("start", parents=[common], help="run the node")
    start.add_argument(
        "--with-comet",
        default="true",
        choices=("true", "false"),
        help="also run CometBFT as a child process (false: serve ABCI alone)",
    )
    start.add_argument("--address", help="ABCI listen address (unix:///PATH or tcp://HOST:PORT)")
    start.add_argument(
        "--abci-allow-remote",
        action="store_true",
        help="allow a non-loopback TCP ABCI address (ABCI has no authentication)",
    )
    start.set_defaults(func=run_start)

    status = commands.add_parser("status", parents=[common], help="the node's sync status")
    status.set_defaults(func=run_status)


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
    """CometBFT's own `init` makes the keys and config; we set the chain id and app state."""
    home = Home(root)
    if home.genesis.exists() and not overwrite:
        raise CommandError(f"{home.genesis} already exists; pass --overwrite to replace it")
    make_private_dir(root)
    result = subprocess.run(
        [cometbft_binary(), "init", "--home", str(root)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise CommandError(f"cometbft init failed: {result.stderr.strip()}")
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
    home.app_config.write_text((node_config or NodeConfig()).to_toml())
    return home


def run_init(args: argparse.Namespace) -> int:
    if not args.chain_id:
        raise CommandError("--chain-id is required, e.g. --chain-id gpuchain-local")
    operator = _operator_key(args) if args.from_key else None
    try:
        home = init_home(args.home, args.moniker, args.chain_id, args.overwrite)
        if operator is not None:
            bond_operator(home, operator, args.moniker, args.chain_id)
    except ConfigError as error:
        raise CommandError(str(error)) from None
    if operator is None:
        print(
            "No validator yet: bond one with `gpuchain genesis add-account KEY AMOUNT`, "
            "`genesis gentx KEY AMOUNT` and `genesis collect-gentxs`, or rerun with "
            "--from KEY --overwrite.",
            file=sys.stderr,
        )
    node_id = subprocess.run(
        [cometbft_binary(), "show-node-id", "--home", str(home.root)],
        capture_output=True,
        text=True,
    ).stdout.strip()
    emit(
        args,
        {
            "moniker": args.moniker,
            "chain_id": args.chain_id,
            "node_id": node_id,
            "home": str(home.root),
        },
        f"initialized {args.moniker} ({node_id}) for chain {args.chain_id} in {home.root}",
    )
    return 0


def _operator_key(args: argparse.Namespace) -> PrivateKey:
    """The --from key, read before the home is written so a typo leaves nothing behind."""
    from chain.keyring import Keyring, KeyringError

    keyring = Keyring(args.home, args.keyring_backend)
    try:
        keyring.show(args.from_key)
    except KeyringError as error:
        raise CommandError(
            f"{error} (create it first: gpuchain keys add {args.from_key} --home {args.home})"
        ) from None
    try:
        return keyring.private_key(args.from_key)
    except KeyringError as error:
        raise CommandError(str(error)) from None


def run_start(args: argparse.Namespace) -> int:
    from chain.node import start

    try:
        return start(
            args.home,
            with_comet=args.with_comet == "true",
            abci_address=args.address,
            allow_remote_abci=args.abci_allow_remote,
        )
    except ConfigError as error:
        raise CommandError(str(error)) from None


def run_status(args: argparse.Namespace) -> int:
    try:
        status = CometRpc(args.node).status()
    except RpcError as error:
        raise CommandError(str(error)) from None
    sync = status["sync_info"]
    emit(
        args,
        status,
        f"network {status['node_info']['network']}  height {sync['latest_block_height']}  "
        f"app hash {sync['latest_app_hash']}  catching up {sync['catching_up']}",
    )
    return 0
