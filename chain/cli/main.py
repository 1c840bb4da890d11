"""The `gpuchain` command line, in Cosmos SDK conventions (`-o json`, `--home`, `--node`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from chain.cli import output
from chain.config import ConfigError
from chain.genesis import GenesisError
from chain.module import Module
from chain.rpc import RpcError

DEFAULT_HOME = Path.home() / ".gpuchain"
DEFAULT_NODE = "tcp://127.0.0.1:26657"


def build_parser(modules: Sequence[Module] | None = None) -> argparse.ArgumentParser:
    """Every command group registers itself on one parser, each wired module (default:
    chain.wiring's) its `tx` and `query` commands; flags shared by all live here."""
    from chain.cli import genesis, keys, node_commands, query, testnet, tx
    from chain.wiring import build_modules
    from provider import gateway_client
    from sdl import cli as sdl_cli

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", type=Path, default=argparse.SUPPRESS, help="node/client home")
    common.add_argument("-o", "--output", choices=("text", "json"), default=argparse.SUPPRESS)
    common.add_argument("--node", default=argparse.SUPPRESS, help="CometBFT RPC address")
    common.add_argument("--chain-id", default=argparse.SUPPRESS)
    common.add_argument("--keyring-backend", choices=("file", "test"), default=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(prog="gpuchain", parents=[common], description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (node_commands, keys, genesis, testnet):
        group.register(commands, common)
    tx_commands = tx.register(commands, common)
    query_commands = query.register(commands, common)
    for module in modules if modules is not None else build_modules():
        module_commands = module.commands()
        if module_commands is not None:
            module_commands.register_tx(tx_commands, common)
            module_commands.register_query(query_commands, common)
    sdl_parser = commands.add_parser("sdl", parents=[common], help="validate and hash SDL files")
    sdl_cli.register(sdl_parser)
    lease_parser = commands.add_parser(
        "lease", parents=[common], help="a lease's manifest, status and logs (provider gateway)"
    )
    gateway_client.register(lease_parser, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in (
        ("home", DEFAULT_HOME),
        ("output", "text"),
        ("node", DEFAULT_NODE),
        ("chain_id", ""),
        ("keyring_backend", "file"),
    ):
        if not hasattr(args, name):
            setattr(args, name, default)
    try:
        code: int = args.func(args)
    except output.CommandError as error:
        output.fail(args, str(error))
        return 1
    except (RpcError, ConfigError, GenesisError, OSError) as error:
        output.fail(args, str(error))
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
