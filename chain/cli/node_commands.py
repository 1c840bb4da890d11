"""`gpuchain init`, `start` and `status`: making and running a node."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from chain.cli.output import CommandError, emit
from chain.rpc import CometRpc, RpcError

if TYPE_CHECKING:
    from chain.crypto import PrivateKey


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
    init.add_argument("moniker", help="a name for this node")
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


def run_init(args: argparse.Namespace) -> int:
    from chain.config import ConfigError
    from chain.home import bond_operator, init_home, node_id

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
    identity = node_id(home)
    emit(
        args,
        {
            "moniker": args.moniker,
            "chain_id": args.chain_id,
            "node_id": identity,
            "home": str(home.root),
        },
        f"initialized {args.moniker} ({identity}) for chain {args.chain_id} in {home.root}",
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
    from chain.config import ConfigError
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
