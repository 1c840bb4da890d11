"""The client API a module's `cli.py` builds its commands with; it knows no module.

A module adds `gpuchain tx <module> …` and `gpuchain query <module> …` by defining
`register_tx(commands, common)` and `register_query(commands, common)` and returning its
cli module from `Module.commands()`; `gpuchain` asks every wired module. A tx command picks
its key (`sender_key`), takes the shared build flags (`--fees` or `--gas-prices`,
`--gas N|auto`, `--gas-adjustment`, `--dry-run`, `--memo`, `--yes`, `-b sync|async|block`,
`--generate-only`, ...; unset ones come from HOME/config/client.toml) and hands its
messages to `deliver`, which checks their coins' denoms, simulates them on the node (unless
`--gas N`), signs, broadcasts, waits for the block and prints the result as
`-o text|json|yaml` asks. A query command asks `query` and prints with `emit`.
`resolve_validator_address` takes only a `gpuvaloper1…` address (an account address or key
name is refused, naming the prefix); `operator_of(key)` is the validator a key operates.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, TypeVar

from google.protobuf.message import Message

from chain.cli.client import (
    abci_query,
    add_commission_flags,
    add_page_flags,
    address_bytes,
    message_json,
    node_errors,
    page_json,
    page_request,
    page_text,
    parse_coins_argument,
    resolve_address,
    resolve_validator_address,
    rpc_client,
)
from chain.cli.client import fetch_account as fetch_account_from
from chain.cli.output import CommandError, emit
from chain.cli.query import ProvenRead
from chain.cli.query import prove_store_key as prove_key
from chain.cli.tx import DEFAULT_GAS, add_build_flags, deliver, sender_key, uint_type
from chain.coins import DEC_ONE, Coin, dec_from_wire, validate_denom
from chain.crypto import encode_validator_address
from chain.errors import AppError
from chain.keyring import KeyInfo
from chain.pb.cosmos.auth.v1beta1 import auth_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2

Group: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
ResponseT = TypeVar("ResponseT", bound=Message)
MessageT = TypeVar("MessageT", bound=Message)

__all__ = [
    "CommandError",
    "Group",
    "KeyInfo",
    "ProvenRead",
    "add_build_flags",
    "add_commission_flags",
    "add_page_flags",
    "address_bytes",
    "check_denom",
    "checked",
    "coins_text",
    "command_group",
    "dec_coins_json",
    "deliver",
    "emit",
    "fetch_account",
    "fields_text",
    "latest_height",
    "message_json",
    "one_coin",
    "operator_of",
    "page_json",
    "page_request",
    "page_text",
    "params_command",
    "parse_coins_argument",
    "prove_store_key",
    "query",
    "query_command",
    "resolve_address",
    "resolve_validator_address",
    "sender_key",
    "table",
    "tx_command",
    "uint32",
    "uint64",
    "whole",
]

# argparse types for flags that fill uint64 / uint32 wire fields (dseq; gseq, oseq).
uint64 = uint_type(2**64 - 1)
uint32 = uint_type(2**32 - 1)


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


def query_command(
    group: Group,
    common: argparse.ArgumentParser,
    name: str,
    help_text: str,
    *arguments: tuple[str, str],
) -> argparse.ArgumentParser:
    """A query command with positional arguments (NAME, help); NAME ending in "?" is optional."""
    parser = group.add_parser(name, parents=[common], help=help_text)
    for argument, argument_help in arguments:
        optional = argument.endswith("?")
        name_only = argument.rstrip("?")
        parser.add_argument(
            name_only.lower(),
            metavar=name_only,
            nargs="?" if optional else None,
            help=argument_help,
        )
    return parser


def check_denom(denom: str) -> None:
    try:
        validate_denom(denom)
    except AppError as error:
        raise CommandError(f"{error.detail}: expected e.g. ugpc") from None


def prove_store_key(args: argparse.Namespace, key: bytes) -> ProvenRead:
    """Read one state key from the node (--node) and verify it against the next block's
    header (`--prove`); CommandError when the proof does not hold."""
    return prove_key(rpc_client(args), key)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns under upper-case headers."""
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def fields_text(data: dict[str, Any], indent: str = "") -> str:
    """`key: value` lines, nested objects indented."""
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.append(fields_text(value, indent + "  "))
        elif isinstance(value, bool):
            lines.append(f"{indent}{key}: {str(value).lower()}")
        else:
            lines.append(f"{indent}{key}: {value}")
    return "\n".join(lines)


def coins_text(coins: list[dict[str, str]]) -> str:
    return ",".join(f"{coin['amount']}{coin['denom']}" for coin in coins) or "0"


def whole(dec: str) -> str:
    """A LegacyDec off the wire that holds a whole number (shares, paid rewards) as digits."""
    return str(dec_from_wire(dec) // DEC_ONE)


def dec_coins_json(coins: Sequence[coin_pb2.DecCoin]) -> list[dict[str, str]]:
    """DecCoins of whole tokens as Cosmos-style coins."""
    return [{"denom": coin.denom, "amount": whole(coin.amount)} for coin in coins]


def params_command(path: str, messages: Any, module: str) -> Callable[[argparse.Namespace], int]:
    """The `query MODULE params` command of a module's Params query at path (messages: its
    generated query_pb2)."""

    def run(args: argparse.Namespace) -> int:
        response = query(args, path, messages.QueryParamsRequest(), messages.QueryParamsResponse())
        answer = message_json(response.params)
        emit(args, answer, fields_text(answer))
        return 0

    run.__doc__ = f"`query {module} params`."
    return run


def fetch_account(args: argparse.Namespace, address: str) -> auth_pb2.BaseAccount | None:
    """The account at address on the node (--node), None when it does not exist yet."""
    return fetch_account_from(rpc_client(args), address)


def operator_of(key: KeyInfo) -> str:
    """The operator address (`gpuvaloper1…`) of the validator a key runs (or would run)."""
    return encode_validator_address(address_bytes(key.address))


def latest_height(args: argparse.Namespace) -> int:
    """The node's (--node) latest block height; CommandError when it is unreachable."""
    with node_errors():
        return rpc_client(args).latest_height()
