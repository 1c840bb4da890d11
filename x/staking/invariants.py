"""staking invariants: pools hold exactly what validators and unbondings claim; shares add up."""

from __future__ import annotations

from chain.module import Invariant
from chain.store import KVStore
from x.staking.expected import BankKeeper
from x.staking.keeper import BONDED_POOL, NOT_BONDED_POOL, StakingKeeper
from x.staking.types import BondStatus


def invariants(keeper: StakingKeeper, bank: BankKeeper) -> list[Invariant]:
    def pools(store: KVStore) -> str | None:
        denom = keeper.params(store).bond_denom
        validators = keeper.validators(store)
        bonded = sum(v.tokens for v in validators if v.status == BondStatus.BONDED)
        not_bonded = sum(v.tokens for v in validators if v.status != BondStatus.BONDED)
        not_bonded += sum(e.balance for e in keeper.unbonding_entries(store))
        held = bank.balance(store, BONDED_POOL, denom)
        if held != bonded:
            return f"bonded pool holds {held}, bonded validators have {bonded}"
        held = bank.balance(store, NOT_BONDED_POOL, denom)
        if held != not_bonded:
            return f"not-bonded pool holds {held}, unbonded stake and unbondings are {not_bonded}"
        return None

    def shares(store: KVStore) -> str | None:
        totals: dict[bytes, int] = {}
        for _, operator, held in keeper.all_delegations(store):
            if held <= 0:
                return "a delegation holds no shares"
            totals[operator] = totals.get(operator, 0) + held
        for validator in keeper.validators(store):
            delegated = totals.get(validator.operator, 0)
            if validator.tokens < 0 or delegated != validator.shares:
                return f"{validator.moniker}: shares {validator.shares}, delegated {delegated}"
        return None

    return [Invariant("staking/pools", pools), Invariant("staking/shares", shares)]
