"""escrow invariants: no token leaks in or out of an account, and the module account holds
exactly the open balances."""

from __future__ import annotations

from chain.crypto import encode_address
from chain.module import Invariant
from chain.store import KVStore
from x.escrow.keeper import EscrowKeeper


def invariants(keeper: EscrowKeeper) -> list[Invariant]:
    def conservation(store: KVStore) -> str | None:
        """deposits = escrow balances + paid to providers + taken + refunded."""
        balances = 0
        for account in keeper.accounts(store):
            spent = account.balance + account.transferred + account.taken + account.refunded
            if account.deposited != spent:
                return (
                    f"escrow {encode_address(account.owner)}/{account.dseq}: deposited "
                    f"{account.deposited}, balance+transferred+taken+refunded {spent}"
                )
            if not account.is_open and account.balance:
                return f"closed escrow {encode_address(account.owner)}/{account.dseq} holds tokens"
            balances += account.balance
        held = keeper.held(store)
        if held != balances:
            return f"escrow module account holds {held}, accounts' balances sum to {balances}"
        return None

    return [Invariant("escrow/conservation", conservation)]
