"""bank invariants: supply equals the sum of balances; no balance is zero or negative."""

from __future__ import annotations

from chain.module import Invariant
from chain.store import KVStore
from x.bank.keeper import BankKeeper


def invariants(keeper: BankKeeper) -> list[Invariant]:
    def total_supply(store: KVStore) -> str | None:
        sums: dict[str, int] = {}
        for _, coin in keeper.all_balances(store):
            if coin.amount <= 0:
                return f"a balance of {coin.denom} is {coin.amount}"
            sums[coin.denom] = sums.get(coin.denom, 0) + coin.amount
        supply = {coin.denom: coin.amount for coin in keeper.total_supply(store)}
        if supply != sums:
            return f"supply {supply} differs from the sum of balances {sums}"
        return None

    return [Invariant("bank/total-supply", total_supply)]
