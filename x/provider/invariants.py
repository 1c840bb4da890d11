"""provider invariants: the collateral account holds exactly what providers locked plus
what is queued for release; the attribute index lists exactly the providers' attributes."""

from __future__ import annotations

from chain.module import Invariant
from chain.store import KVStore, iterate_prefix
from x.provider import keys
from x.provider.keeper import COLLATERAL_ACCOUNT, ProviderKeeper


def invariants(keeper: ProviderKeeper) -> list[Invariant]:
    def collateral_held(store: KVStore) -> str | None:
        owed: dict[str, int] = {}
        for provider in keeper.providers(store):
            denom = provider.collateral.denom
            owed[denom] = owed.get(denom, 0) + provider.collateral.amount
        for release in keeper.releases(store):
            owed[release.amount.denom] = owed.get(release.amount.denom, 0) + release.amount.amount
        denoms = {keeper.params(store).min_provider_collateral.denom, *owed}
        for denom in sorted(denoms):
            held = keeper.bank.balance(store, COLLATERAL_ACCOUNT.address, denom)
            if held != owed.get(denom, 0):
                return (
                    f"{COLLATERAL_ACCOUNT.name} holds {held}{denom}, providers and releases "
                    f"account for {owed.get(denom, 0)}{denom}"
                )
        return None

    def attribute_index(store: KVStore) -> str | None:
        expected = {
            keys.attribute_index_key(key, value, provider.owner)
            for provider in keeper.providers(store)
            for key, value in provider.attributes
        }
        indexed = {key for key, _ in iterate_prefix(store, keys.ATTRIBUTE_INDEX_PREFIX)}
        if indexed != expected:
            extra = sorted(indexed - expected)
            missing = sorted(expected - indexed)
            return f"attribute index: {len(extra)} stale, {len(missing)} missing entries"
        return None

    return [
        Invariant("provider/collateral-held", collateral_held),
        Invariant("provider/attribute-index", attribute_index),
    ]
