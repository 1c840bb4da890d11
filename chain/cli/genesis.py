"""`gpuchain genesis …`: build and check the genesis file before a chain starts."""

from __future__ import annotations

import argparse
from pathlib import Path

from chain.cli.client import add_commission_flags
from chain.cli.output import CommandError, emit
from chain.coins import Coins
from chain.config import Home, NodeConfig
from chain.crypto import AddressError, decode_address
from chain.errors import AppError
from chain.genesis import (
    GenesisError,
    collect_gentxs,
    fund,
    has_balance,
    load_genesis,
    read_gentxs,
    validate_genesis,
    write_genesis,
    write_gentx,
)
from chain.home import build_gentx
from chain.wiring import build_modules


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    genesis = commands.add_parser("genesis", parents=[common], help="build and check genesis")
    sub = genesis.add_subparsers(dest="genesis_command", required=True, metavar="COMMAND")

    add = sub.add_parser("add-account", parents=[common], help="fund an account in genesis")
    add.add_argument("address_or_key", help="gpu1… address or keyring key name")
    add.add_argument("amount", help="coins, e.g. 1000000000ugpc")
    add.set_defaults(func=run_add_account)

    validate = sub.add_parser("validate", parents=[common], help="check a genesis file")
    validate.add_argument("file", nargs="?", type=Path, help="default: HOME/config/genesis.json")
    validate.set_defaults(func=run_validate)

    export = sub.add_parser("export", parents=[common], help="print committed state as app_state")
    export.set_defaults(func=run_export)

    gentx = sub.add_parser("gentx", parents=[common], help="bond this node's key from KEY")
    gentx.add_argument("key", help="keyring key that funds and operates the validator")
    gentx.add_argument("amount", help="self-delegation, e.g. 100000000ugpc")
    gentx.add_argument("--moniker", help="default: the node's moniker")
    add_commission_flags(gentx)
    gentx.set_defaults(func=run_gentx)

    collect = sub.add_parser("collect-gentxs", parents=[common], help="put gentxs into genesis")
    collect.add_argument("--gentx-dir", type=Path, help="default: HOME/config/gentx")
    collect.set_defaults(func=run_collect_gentxs)


def _resolve_address(args: argparse.Namespace, text: str) -> str:
    try:
        decode_address(text)
        return text
    except AddressError:
        pass
    from chain.keyring import Keyring, KeyringError

    try:
        return Keyring(args.home, args.keyring_backend).show(text).address
    except KeyringError as error:
        raise CommandError(f"{text!r} is neither a gpu1… address nor a key: {error}") from None


def run_add_account(args: argparse.Namespace) -> int:
    home = Home(args.home)
    address = _resolve_address(args, args.address_or_key)
    try:
        coins = Coins.parse(args.amount)
    except AppError as error:
        raise CommandError(f"amount {args.amount!r}: {error.detail}") from None
    if not coins:
        raise CommandError("amount must not be empty")
    try:
        genesis = load_genesis(home.genesis)
    except GenesisError as error:
        raise CommandError(str(error)) from None
    if has_balance(genesis, address):
        raise CommandError(f"{address} already has a genesis balance")
    fund(genesis, address, coins)
    write_genesis(home.genesis, genesis)
    emit(args, {"address": address, "coins": coins.to_json()}, f"added {coins} to {address}")
    return 0


def run_gentx(args: argparse.Namespace) -> int:
    from chain.keyring import Keyring, KeyringError

    home = Home(args.home)
    genesis = load_genesis(home.genesis)
    chain_id = args.chain_id or genesis["chain_id"]
    try:
        operator = Keyring(args.home, args.keyring_backend).private_key(args.key)
    except KeyringError as error:
        raise CommandError(str(error)) from None
    try:
        coins = Coins.parse(args.amount)
    except AppError as error:
        raise CommandError(f"amount {args.amount!r}: {error.detail}") from None
    if len(coins.items) != 1:
        raise CommandError("the self-delegation is one amount of the bond denom, e.g. 100ugpc")
    if not has_balance(genesis, operator.bech32_address):
        raise CommandError(
            f"{operator.bech32_address} has no genesis balance: run `genesis add-account` first"
        )
    moniker = args.moniker or _moniker(home)
    raw = build_gentx(
        home,
        operator,
        coins.items[0],
        moniker,
        chain_id,
        (args.commission_rate, args.commission_max_rate, args.commission_max_change_rate),
    )
    path = write_gentx(home.config_dir, raw, moniker)
    emit(args, {"gentx": str(path)}, f"genesis transaction written to {path}")
    return 0


def _moniker(home: Home) -> str:
    import tomllib

    return str(tomllib.loads(home.comet_config.read_text()).get("moniker", "node"))


def run_collect_gentxs(args: argparse.Namespace) -> int:
    home = Home(args.home)
    directory = args.gentx_dir or home.config_dir / "gentx"
    gentxs = read_gentxs(directory)
    if not gentxs:
        raise CommandError(f"no gentx-*.json files in {directory}")
    genesis = load_genesis(home.genesis)
    collect_gentxs(genesis, gentxs)
    write_genesis(home.genesis, genesis)
    emit(args, {"gentxs": len(gentxs)}, f"collected {len(gentxs)} gentxs into {home.genesis}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    path = args.file or Home(args.home).genesis
    try:
        validate_genesis(load_genesis(path), build_modules())
    except GenesisError as error:
        raise CommandError(f"{path}: {error}") from None
    emit(args, {"file": str(path), "valid": True}, f"{path} is a valid genesis file")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from chain.node import open_app

    home = Home(args.home)
    genesis = load_genesis(home.genesis)
    app = open_app(home, NodeConfig.load(home.app_config))
    try:
        genesis["app_state"] = app.export_genesis()
        genesis["initial_height"] = str(app.store.last.height + 1)
    finally:
        app.store.close()
    emit(args, genesis, None)
    return 0
