"""escrow genesis: every account as stored, so an exported chain imports to the same state.
The tokens themselves are in bank's genesis, on the escrow module account."""

from __future__ import annotations

from typing import Any

from chain.context import Context
from chain.errors import AppError
from chain.store import KVStore
from x.escrow.errors import INVALID_GENESIS
from x.escrow.keeper import EscrowKeeper
from x.escrow.types import Account


def default_genesis() -> dict[str, Any]:
    return {"accounts": []}


def parse_genesis(state: dict[str, Any]) -> list[Account]:
    """Raises INVALID_GENESIS naming the first bad account."""
    entries = state.get("accounts", [])
    if not isinstance(entries, list):
        raise INVALID_GENESIS("escrow.accounts must be a list")
    accounts: dict[tuple[bytes, int], Account] = {}
    for index, entry in enumerate(entries):
        try:
            account = Account.from_json(entry)
        except AppError as error:
            raise INVALID_GENESIS(f"escrow.accounts[{index}]: {error.detail}") from None
        key = (account.owner, account.dseq)
        if key in accounts:
            raise INVALID_GENESIS(f"escrow.accounts[{index}]: dseq {account.dseq} listed twice")
        spent = account.balance + account.transferred + account.taken + account.refunded
        if account.deposited != spent:
            raise INVALID_GENESIS(f"escrow.accounts[{index}]: deposited does not add up")
        accounts[key] = account
    return [accounts[key] for key in sorted(accounts)]


def validate_genesis(state: dict[str, Any]) -> None:
    parse_genesis(state)


def init_genesis(ctx: Context, keeper: EscrowKeeper, state: dict[str, Any]) -> None:
    for account in parse_genesis(state):
        keeper.set_account(ctx.store, account)


def export_genesis(store: KVStore, keeper: EscrowKeeper) -> dict[str, Any]:
    return {"accounts": [account.to_json() for account in keeper.accounts(store)]}
