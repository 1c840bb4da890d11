"""`gpuchain query auth account ADDRESS` (also `query account`): an account's number,
sequence and public key, optionally proven against the app hash (`--prove`)."""

from __future__ import annotations

import argparse
from typing import Any

from chain.cli import api
from chain.pb.cosmos.auth.v1beta1 import auth_pb2
from x.auth import keys

BASE_ACCOUNT_TYPE_URL = "/" + auth_pb2.BaseAccount.DESCRIPTOR.full_name


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    """auth has no transactions of its own (the ante checks every tx's signature and fee)."""


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    auth_commands = api.command_group(commands, common, "auth", "accounts")
    for parent in (commands, auth_commands):  # `query account` = `query auth account`
        account = parent.add_parser(
            "account", parents=[common], help="an account's number, sequence and public key"
        )
        account.add_argument("address", metavar="ADDRESS", help="address or keyring key name")
        account.add_argument(
            "--prove", action="store_true", help="verify the account with a Merkle proof"
        )
        account.set_defaults(func=query_account)


def _account_json(account: auth_pb2.BaseAccount) -> dict[str, Any]:
    """A BaseAccount as Cosmos prints it: "pub_key" is null until the account first signs."""
    return {"@type": BASE_ACCOUNT_TYPE_URL, "pub_key": None, **api.message_json(account)}


def _account_text(account: dict[str, Any]) -> str:
    public_key = account.get("pub_key")
    return "\n".join(
        [
            f"'@type': {account['@type']}",
            f'account_number: "{account["account_number"]}"',
            f"address: {account['address']}",
            f"pub_key: {public_key['key'] if public_key else 'null'}",
            f'sequence: "{account["sequence"]}"',
        ]
    )


def query_account(args: argparse.Namespace) -> int:
    """`query account ADDRESS [--prove]`."""
    address = api.resolve_address(args, args.address)
    if args.prove:
        proven = api.prove_store_key(args, keys.account_key(api.address_bytes(address)))
        if proven.read.value is None:
            raise api.CommandError(
                f"account {address} not found (its absence is proven: {proven.message})"
            )
        account = auth_pb2.BaseAccount.FromString(proven.read.value)
        data = _account_json(account)
        api.emit(
            args,
            {"account": data, "proof": proven.to_json()},
            f"{_account_text(data)}\n{proven.message}",
        )
        return 0
    found = api.fetch_account(args, address)
    if found is None:
        raise api.CommandError(f"account {address} not found")
    data = _account_json(found)
    api.emit(args, {"account": data}, _account_text(data))
    return 0
