"""distribution invariants: the module account holds exactly what it owes plus the community
pool, and every validator's outstanding rewards cover what its delegators could withdraw."""

from __future__ import annotations

from chain.crypto import encode_address, encode_validator_address
from chain.module import Invariant
from chain.store import KVStore
from x.distribution.expected import BankKeeper, StakingKeeper
from x.distribution.keeper import DistributionKeeper
from x.distribution.types import DISTRIBUTION, pending_reward


def invariants(
    keeper: DistributionKeeper, bank: BankKeeper, staking: StakingKeeper
) -> list[Invariant]:
    def module_account(store: KVStore) -> str | None:
        denom = keeper.denom(store)
        records = keeper.all_validator_rewards(store)
        commission = sum(r.commission for _, r in records)
        outstanding = sum(r.outstanding for _, r in records)
        pool = keeper.community_pool(store)
        held = bank.balance(store, DISTRIBUTION, denom)
        if held != pool + commission + outstanding:
            return (
                f"module account holds {held}{denom}; commission {commission} + outstanding "
                f"rewards {outstanding} + community pool {pool} = {pool + commission + outstanding}"
            )
        return None

    def delegations(store: KVStore) -> str | None:
        """O(delegations): an invariant may be, a block may not."""
        records = dict(keeper.all_validator_rewards(store))
        starts = {(d, o): start for d, o, start in keeper.all_delegation_starts(store)}
        pending: dict[bytes, int] = {}
        for delegator, operator, shares in staking.all_delegations(store):
            current = records[operator].reward_per_share if operator in records else 0
            start = starts.pop((delegator, operator), None)
            name = f"{encode_address(delegator)} → {encode_validator_address(operator)}"
            if start is None and current:
                return f"delegation {name} has no reward starting point"
            if start is not None and start > current:
                return f"delegation {name} starts at {start}, beyond its validator's {current}"
            owed = pending_reward(shares, current, start or 0)
            pending[operator] = pending.get(operator, 0) + owed
        if starts:
            delegator, operator = min(starts)
            return (
                f"reward starting point without a delegation: {encode_address(delegator)} → "
                f"{encode_validator_address(operator)}"
            )
        for operator, owed in sorted(pending.items()):
            outstanding = records[operator].outstanding if operator in records else 0
            if owed > outstanding:
                return (
                    f"{encode_validator_address(operator)}: delegators are owed {owed}, "
                    f"outstanding rewards are {outstanding}"
                )
        return None

    return [
        Invariant("distribution/module-account", module_account),
        Invariant("distribution/delegations", delegations),
    ]
