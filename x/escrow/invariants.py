"""escrow invariants: no token leaks in or out of an account, the module account holds
exactly the open balances and unpaid accruals, an account's rate, accruals, transfers and
take are its payments', and the
dry-height index names each paying account once, at its dry height."""

from __future__ import annotations

from chain.crypto import encode_address
from chain.module import Invariant
from chain.store import KVStore
from x.escrow.keeper import EscrowKeeper
from x.escrow.types import NEVER, Account


def _name(account: Account) -> str:
    return f"escrow {encode_address(account.owner)}/{account.dseq}"


def invariants(keeper: EscrowKeeper) -> list[Invariant]:
    def conservation(store: KVStore) -> str | None:
        """deposits = escrow balances + accrued unpaid + paid to providers + taken + refunded."""
        balances = 0
        for account in keeper.accounts(store):
            spent = account.spent()
            if account.deposited != spent:
                return (
                    f"{_name(account)}: deposited {account.deposited}, "
                    f"balance+accrued+transferred+taken+refunded {spent}"
                )
            if not account.is_open and (account.balance or account.accrued):
                return f"closed {_name(account)} holds tokens"
            balances += account.balance + account.accrued
        held = keeper.held(store)
        if held != balances:
            return (
                f"escrow module account holds {held}, accounts' balances and accrued "
                f"payments sum to {balances}"
            )
        return None

    def payments(store: KVStore) -> str | None:
        for account in keeper.accounts(store):
            listed = keeper.payments(store, account.owner, account.dseq)
            paid = sum(payment.paid for payment in listed)
            taken = sum(payment.taken for payment in listed)
            accrued = sum(payment.accrued for payment in listed)
            rate = sum(payment.rate for payment in listed if payment.is_open)
            if paid != account.transferred:
                return f"{_name(account)}: transferred {account.transferred}, payments paid {paid}"
            if taken != account.taken:
                return f"{_name(account)}: taken {account.taken}, payments' taken {taken}"
            if accrued != account.accrued:
                return f"{_name(account)}: accrued {account.accrued}, payments' {accrued}"
            if rate != account.rate:
                return f"{_name(account)}: rate {account.rate}, open payments' rates sum to {rate}"
        return None

    def dry_index(store: KVStore) -> str | None:
        expected = sorted(
            (account.dry_height(), account.owner, account.dseq)
            for account in keeper.accounts(store)
            if account.dry_height() != NEVER
        )
        if keeper.dry_index(store) != expected:
            return "the dry-height index does not match the accounts' dry heights"
        return None

    return [
        Invariant("escrow/conservation", conservation),
        Invariant("escrow/payments", payments),
        Invariant("escrow/dry-index", dry_index),
    ]
