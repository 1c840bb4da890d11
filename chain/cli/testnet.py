"""`gpuchain testnet`: homes for an N-validator network on one machine, as Cosmos's testnet
(the layout is chain.home.make_testnet's)."""

from __future__ import annotations

import argparse
from pathlib import Path

from chain.cli.output import CommandError, emit
from chain.config import ConfigError
from chain.home import make_testnet, ports_of


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    # Not built on `common`: as in Cosmos, --output here names the folder, not the format.
    testnet = commands.add_parser("testnet", help="make N validator homes")
    testnet.add_argument(
        "--validators", type=_count, default=4, help="how many validators (default 4)"
    )
    testnet.add_argument("--chain-id", default=argparse.SUPPRESS, help="default gpuchain-testnet")
    testnet.add_argument(
        "--output", dest="output_dir", type=Path, required=True, help="folder for the homes"
    )
    testnet.add_argument("--base-port", type=_port, default=26656, help="p2p port of validator 0")
    testnet.add_argument(
        "--grpc-base-port", type=_port, default=9090, help="gRPC port of validator 0"
    )
    testnet.add_argument(
        "--metrics-base-port", type=_port, default=26660, help="metrics port of validator 0"
    )
    testnet.add_argument("--api-base-port", type=_port, default=1317, help="REST API port")
    testnet.add_argument("--block-time", default="1s", help="CometBFT timeout_commit")
    testnet.add_argument("--keys", default="alice,bob", help="funded test keys in validator0")
    testnet.set_defaults(func=run_testnet)


MAX_VALIDATORS = 100


def _bounded(text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from {low} to {high}")
    return int(text)


def _count(text: str) -> int:
    return _bounded(text, 1, MAX_VALIDATORS)


def _port(text: str) -> int:
    return _bounded(text, 1, 65535)


def run_testnet(args: argparse.Namespace) -> int:
    chain_id = args.chain_id or "gpuchain-testnet"
    ports = [
        ports_of(i, args.base_port, args.grpc_base_port, args.metrics_base_port, args.api_base_port)
        for i in range(args.validators)
    ]
    try:
        homes = make_testnet(
            args.output_dir,
            args.validators,
            chain_id,
            ports,
            args.block_time,
            tuple(k for k in args.keys.split(",") if k),
        )
    except ConfigError as error:
        raise CommandError(str(error)) from None
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
