"""`gpuchain config get|set client KEY [VALUE]`: HOME/config/client.toml, as Cosmos has it."""

from __future__ import annotations

import argparse

from chain.cli.output import CommandError, emit
from chain.client_config import (
    SETTINGS,
    ClientConfigError,
    load_client_config,
    set_client_value,
    setting,
)

CONFIG_FILES = ("client",)


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add the `config` command group."""
    keys = ", ".join(item.key for item in SETTINGS)
    config = commands.add_parser(
        "config",
        parents=[common],
        help="read and write HOME/config/client.toml",
        description="Client settings used when no flag gives them: " + keys + ".",
    )
    actions = config.add_subparsers(dest="config_command", required=True, metavar="CMD")
    get = actions.add_parser(
        "get", parents=[common], help="print one setting, or all of them without KEY"
    )
    get.add_argument("file", choices=CONFIG_FILES, help="the config file (client)")
    get.add_argument("key", nargs="?", metavar="KEY", help=f"one of: {keys}")
    get.set_defaults(func=get_value)
    set_parser = actions.add_parser("set", parents=[common], help="store one setting")
    set_parser.add_argument("file", choices=CONFIG_FILES, help="the config file (client)")
    set_parser.add_argument("key", metavar="KEY", help=f"one of: {keys}")
    set_parser.add_argument("value", metavar="VALUE", help="the new value")
    set_parser.set_defaults(func=set_value)


def get_value(args: argparse.Namespace) -> int:
    """`config get client [KEY]`: what the file says, else the built-in default."""
    try:
        stored = load_client_config(args.home)
        chosen = [setting(args.key)] if args.key else list(SETTINGS)
    except ClientConfigError as error:
        raise CommandError(str(error)) from None
    values = {item.key: stored.get(item.key, item.default) for item in chosen}
    if args.key:
        emit(args, values, values[args.key])
    else:
        emit(args, values, "\n".join(f"{key} = {value!r}" for key, value in values.items()))
    return 0


def set_value(args: argparse.Namespace) -> int:
    """`config set client KEY VALUE`."""
    try:
        path = set_client_value(args.home, args.key, args.value)
    except ClientConfigError as error:
        raise CommandError(str(error)) from None
    emit(args, {args.key: args.value, "file": str(path)}, f"{args.key} = {args.value!r} in {path}")
    return 0
