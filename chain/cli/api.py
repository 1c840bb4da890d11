"""The client API a module's `cli.py` builds its commands with; it knows no module.

A module adds `gpuchain tx <module> …` and `gpuchain query <module> …` by defining
`register_tx(commands, common)` and `register_query(commands, common)` and returning its
cli module from `Module.commands()`; `gpuchain` asks every wired module. A tx command picks
its key (`sender_key`), takes the shared build flags (`--fees`, `--gas N|auto`,
`--gas-adjustment`, `--memo`, `--yes`, `--broadcast-mode`, `--generate-only`, ...) and hands
its messages to `deliver`, which signs, broadcasts, waits for the block and prints the
result as `-o text|json` asks. A query command asks `query` and prints with `emit`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

from google.protobuf.message import Message

from chain.cli.client import (
    abci_query,
    add_page_flags,
    address_bytes,
    page_request,
    page_text,
    parse_coins_argument,
    resolve_address,
    resolve_validator_address,
    rpc_client,
)
from chain.cli.output import CommandError, emit
from chain.cli.tx import DEFAULT_GAS, add_build_flags, deliver, sender_key
from chain.coins import Coin
from chain.crypto import encode_validator_address
from chain.errors import AppError
from chain.keyring import KeyInfo

Group: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
ResponseT = TypeVar("ResponseT", bound=Message)
MessageT = TypeVar("MessageT", bound=Message)

__all__ = [
    "CommandError",
    "Group",
    "KeyInfo",
    "add_build_flags",
    "add_page_flags",
    "address_bytes",
    "checked",
    "command_group",
    "deliver",
    "emit",
    "one_coin",
    "operator_of",
    "page_request",
    "page_text",
    "parse_coins_argument",
    "query",
    "resolve_address",
    "resolve_validator_address",
    "sender_key",
    "tx_command",
]


def command_group(
    parent: Group, common: argparse.ArgumentParser, name: str, help_text: str
) -> Group:
    """`tx NAME …` or `query NAME …`: a group for one module's commands."""
    parser = parent.add_parser(name, parents=[common], help=help_text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="CMD")


def tx_command(
    group: Group,
    common: argparse.ArgumentParser,
    name: str,
    help_text: str,
    description: str,
    default_gas: int = DEFAULT_GAS,
) -> argparse.ArgumentParser:
    """A tx command signed by `--from KEY`, with every shared build flag."""
    parser = group.add_parser(name, parents=[common], help=help_text, description=description)
    parser.add_argument(
        "--from", dest="from_key", required=True, metavar="KEY", help="keyring key that signs"
    )
    add_build_flags(parser, default_gas=default_gas)
    return parser


def query(args: argparse.Namespace, path: str, request: Message, response: ResponseT) -> ResponseT:
    """Ask the node (--node) a typed query; CommandError when it is unreachable or refuses."""
    return abci_query(rpc_client(args), path, request, response)


def checked(message: MessageT, validate: Callable[[Any], None]) -> MessageT:
    """Run the module's stateless check here, so a bad argument fails before signing."""
    try:
        validate(message)
    except AppError as error:
        raise CommandError(error.log) from None
    return message


def one_coin(text: str) -> Coin:
    """One positive coin, e.g. "1000000ugpc"."""
    coins = parse_coins_argument(text, "amount").items
    if len(coins) != 1:
        raise CommandError(f"invalid amount {text!r}: expected one coin, e.g. 1000000ugpc")
    return coins[0]


def operator_of(key: KeyInfo) -> str:
    """The operator address (`gpuvaloper1…`) of the validator a key runs (or would run)."""
    return encode_validator_address(address_bytes(key.address))
