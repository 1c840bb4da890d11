"""escrow genesis: every account as stored, so an exported chain imports to the same state.
The tokens themselves are in bank's genesis, on the escrow module account."""

from __future__ import annotations

from typing import Any

from chain.context import Context
from chain.errors import AppError
from chain.store import KVStore
from x.escrow.errors import INVALID_GENESIS
from x.escrow.keeper import EscrowKeeper
from x.escrow.types import Account, Params, Payment


def default_genesis() -> dict[str, Any]:
    return {"params": Params().to_json(), "accounts": [], "payments": []}


def parse_genesis(state: dict[str, Any]) -> tuple[Params, list[Account], list[Payment]]:
    """Params, accounts and payments; raises INVALID_PARAMS or INVALID_GENESIS naming the
    first bad entry."""
    params = Params.from_json(state.get("params", {}))
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
        if account.deposited != account.spent():
            raise INVALID_GENESIS(f"escrow.accounts[{index}]: deposited does not add up")
        accounts[key] = account
    return params, [accounts[key] for key in sorted(accounts)], _payments(state, accounts)


def _payments(state: dict[str, Any], accounts: dict[tuple[bytes, int], Account]) -> list[Payment]:
    entries = state.get("payments", [])
    if not isinstance(entries, list):
        raise INVALID_GENESIS("escrow.payments must be a list")
    payments: dict[tuple[bytes, int, str], Payment] = {}
    for index, entry in enumerate(entries):
        try:
            payment = Payment.from_json(entry)
        except AppError as error:
            raise INVALID_GENESIS(f"escrow.payments[{index}]: {error.detail}") from None
        key = (payment.owner, payment.dseq, payment.payment_id)
        if key in payments:
            raise INVALID_GENESIS(f"escrow.payments[{index}] listed twice")
        if (payment.owner, payment.dseq) not in accounts:
            raise INVALID_GENESIS(f"escrow.payments[{index}] has no account")
        payments[key] = payment
    sums: dict[tuple[bytes, int], tuple[int, int, int]] = {}
    rates: dict[tuple[bytes, int], int] = {}
    for payment in payments.values():
        owned = (payment.owner, payment.dseq)
        paid, taken, accrued = sums.get(owned, (0, 0, 0))
        sums[owned] = (paid + payment.paid, taken + payment.taken, accrued + payment.accrued)
        rates[owned] = rates.get(owned, 0) + (payment.rate if payment.is_open else 0)
    for owned, account in accounts.items():
        if sums.get(owned, (0, 0, 0)) != (account.transferred, account.taken, account.accrued):
            raise INVALID_GENESIS(f"escrow account dseq {account.dseq}: payments do not add up")
        if rates.get(owned, 0) != account.rate:
            raise INVALID_GENESIS(f"escrow account dseq {account.dseq}: rate is not its payments'")
    return [payments[key] for key in sorted(payments)]


def validate_genesis(state: dict[str, Any]) -> None:
    parse_genesis(state)


def init_genesis(ctx: Context, keeper: EscrowKeeper, state: dict[str, Any]) -> None:
    params, accounts, payments = parse_genesis(state)
    keeper.set_params(ctx.store, params)
    for account in accounts:
        keeper.set_account(ctx.store, account)
    for payment in payments:
        keeper.set_payment(ctx.store, payment)


def export_genesis(store: KVStore, keeper: EscrowKeeper) -> dict[str, Any]:
    return {
        "params": keeper.params(store).to_json(),
        "accounts": [account.to_json() for account in keeper.accounts(store)],
        "payments": [payment.to_json() for payment in keeper.all_payments(store)],
    }
