"""bank genesis: balances per address; supply is their sum and is checked if given."""

from __future__ import annotations

from typing import Any

from chain.coins import Coin, Coins, parse_amount
from chain.context import Context
from chain.crypto import encode_address
from chain.errors import INVALID_COINS
from chain.msgs import account_address
from chain.store import KVStore
from x.bank.keeper import BankKeeper


def parse_balances(state: dict[str, Any]) -> list[tuple[bytes, Coins]]:
    """Raises INVALID_ADDRESS / INVALID_COINS naming the entry; duplicates are refused."""
    balances = []
    seen: set[bytes] = set()
    for index, entry in enumerate(state.get("balances", [])):
        address = account_address(entry.get("address", ""), f"bank.balances[{index}].address")
        if address in seen:
            raise INVALID_COINS(f"bank.balances[{index}]: {entry['address']} listed twice")
        seen.add(address)
        coins = Coins.of(
            Coin(c["denom"], parse_amount(str(c["amount"]), f"bank.balances[{index}] amount"))
            for c in entry.get("coins", [])
        )
        balances.append((address, coins))
    return balances


def validate_genesis(state: dict[str, Any]) -> None:
    total = Coins()
    for _, coins in parse_balances(state):
        total = total + coins
    if state.get("supply"):
        declared = Coins.of(
            Coin(c["denom"], parse_amount(str(c["amount"]), "bank.supply amount"))
            for c in state["supply"]
        )
        if declared != total:
            raise INVALID_COINS(f"bank.supply {declared} differs from the sum of balances {total}")


def init_genesis(ctx: Context, keeper: BankKeeper, state: dict[str, Any]) -> None:
    validate_genesis(state)
    for address, coins in sorted(parse_balances(state)):
        keeper.mint(ctx.store, address, coins)


def export_genesis(store: KVStore, keeper: BankKeeper) -> dict[str, Any]:
    per_address: dict[bytes, list[Coin]] = {}
    for address, coin in keeper.all_balances(store):
        per_address.setdefault(address, []).append(coin)
    return {
        "balances": [
            {"address": encode_address(address), "coins": Coins.of(coins).to_json()}
            for address, coins in sorted(per_address.items())
        ],
        "supply": keeper.total_supply(store).to_json(),
    }


def default_genesis() -> dict[str, Any]:
    return {"balances": [], "supply": []}
