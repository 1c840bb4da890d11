"""auth genesis: params and accounts, exported exactly as imported."""

from __future__ import annotations

import base64
from typing import Any

from chain.context import Context
from chain.crypto import AddressError, PublicKey, decode_address, encode_address, public_key_of_type
from chain.errors import INVALID_ADDRESS, INVALID_REQUEST
from chain.store import KVStore
from x.auth.keeper import AccountKeeper
from x.auth.types import Account, Params


def default_genesis() -> dict[str, Any]:
    return {"params": Params().to_json(), "accounts": []}


def parse_accounts(state: dict[str, Any]) -> list[Account]:
    """Accounts from genesis; raises INVALID_ADDRESS or INVALID_REQUEST naming the entry."""
    accounts = []
    seen_numbers: set[int] = set()
    seen_addresses: set[bytes] = set()
    for index, entry in enumerate(state.get("accounts", [])):
        try:
            address = decode_address(entry["address"])
        except (AddressError, KeyError) as error:
            raise INVALID_ADDRESS(f"auth.accounts[{index}]: {error}") from None
        account = Account(
            address=address,
            account_number=int(entry.get("account_number", index)),
            sequence=int(entry.get("sequence", 0)),
            public_key=_public_key(entry.get("pub_key"), index),
        )
        if account.account_number in seen_numbers or address in seen_addresses:
            raise INVALID_REQUEST(f"auth.accounts[{index}]: duplicate account {entry['address']}")
        seen_numbers.add(account.account_number)
        seen_addresses.add(address)
        accounts.append(account)
    return accounts


def _public_key(entry: Any, index: int) -> PublicKey | None:
    """A pub_key in Cosmos's JSON form, {"@type": "/cosmos.crypto.secp256k1.PubKey", "key":
    base64}; raises INVALID_REQUEST naming the account entry."""
    if entry is None:
        return None
    try:
        return public_key_of_type(
            str(entry["@type"]), base64.b64decode(entry["key"], validate=True)
        )
    except (KeyError, TypeError, ValueError) as error:
        raise INVALID_REQUEST(f"auth.accounts[{index}].pub_key: {error}") from None


def validate_genesis(state: dict[str, Any]) -> None:
    Params.from_json(state.get("params", {}))
    parse_accounts(state)


def init_genesis(ctx: Context, keeper: AccountKeeper, state: dict[str, Any]) -> None:
    keeper.set_params(ctx.store, Params.from_json(state.get("params", {})))
    accounts = parse_accounts(state)
    for account in accounts:
        keeper.set_account(ctx.store, account)
    next_number = max((a.account_number for a in accounts), default=-1) + 1
    keeper.set_next_account_number(
        ctx.store, max(next_number, keeper.next_account_number(ctx.store))
    )


def export_genesis(store: KVStore, keeper: AccountKeeper) -> dict[str, Any]:
    return {
        "params": keeper.params(store).to_json(),
        "accounts": [
            {
                "address": encode_address(a.address),
                "account_number": str(a.account_number),
                "sequence": str(a.sequence),
                "pub_key": (
                    {
                        "@type": a.public_key.type_url,
                        "key": base64.b64encode(a.public_key.key).decode(),
                    }
                    if a.public_key
                    else None
                ),
            }
            for a in sorted(keeper.accounts(store), key=lambda a: a.account_number)
        ],
    }
