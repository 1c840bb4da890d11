"""provider invariants: the collateral account holds exactly what providers locked plus
what is queued for release; the attribute and by-owner release indexes list exactly what
they index."""

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

    def indexes(store: KVStore) -> str | None:
        wanted = {
            "attribute": {
                keys.attribute_index_key(key, value, provider.owner)
                for provider in keeper.providers(store)
                for key, value in provider.attributes
            },
            "release": {
                keys.owner_release_key(release.owner, release.completion_height)
                for release in keeper.releases(store)
            },
        }
        prefixes = {"attribute": keys.ATTRIBUTE_INDEX_PREFIX, "release": keys.OWNER_RELEASE_PREFIX}
        for name, expected in wanted.items():
            indexed = {key for key, _ in iterate_prefix(store, prefixes[name])}
            if indexed != expected:
                return (
                    f"{name} index: {len(indexed - expected)} stale, "
                    f"{len(expected - indexed)} missing entries"
                )
        return None

    return [
        Invariant("provider/collateral-held", collateral_held),
        Invariant("provider/indexes", indexes),
    ]
