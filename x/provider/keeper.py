"""Provider state: views first, then the writes the handlers, genesis, begin-block and the
market go through. Every write keeps the attribute and release indexes and the collateral
module account in step (invariants.py checks them after every block). Reputation counters
are written by the market's lease hooks and usage reports through the record_* methods."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace

from chain.coins import Coin, Coins
from chain.context import Context
from chain.errors import INTERNAL
from chain.module import ModuleAccount
from chain.params import get_params, set_params
from chain.store import KVStore, decode_uint, iterate_prefix, prefix_end
from x.provider import events, keys
from x.provider.expected import BankKeeper, ProviderObligations, StakingKeeper
from x.provider.types import (
    CollateralRelease,
    Params,
    Provider,
    Reputation,
    canonical,
    coin_from_json,
)

COLLATERAL_ACCOUNT = ModuleAccount("provider_collateral")
BPS_ONE = 10_000

# Moves a slashed amount out of the collateral account (the source address) to whoever the
# caller decides; it must move all of it or raise.
PayOut = Callable[[Context, bytes, Coin], None]


class ProviderKeeper:
    def __init__(self, bank: BankKeeper, staking: StakingKeeper) -> None:
        self._bank = bank
        self._staking = staking
        self.obligations: list[ProviderObligations] = []

    # --- views ---------------------------------------------------------------------

    @property
    def bank(self) -> BankKeeper:
        return self._bank

    def params(self, store: KVStore) -> Params:
        return get_params(store, keys.PARAMS_KEY, Params)

    def provider(self, store: KVStore, owner: bytes) -> Provider | None:
        raw = store.get(keys.provider_key(owner))
        return Provider.decode(raw) if raw is not None else None

    def collateral_shortfall(self, store: KVStore, owner: bytes) -> Coin | None:
        """How much more collateral provider owner must lock to reach min_provider_collateral
        again (a fault slash can take it below); None when it holds enough. Collateral in
        another denom than the minimum's, or no provider at all, counts as none."""
        minimum = self.params(store).min_provider_collateral
        provider = self.provider(store, owner)
        collateral = provider.collateral if provider is not None else Coin(minimum.denom, 0)
        held = collateral.amount if collateral.denom == minimum.denom else 0
        if held >= minimum.amount:
            return None
        return Coin(minimum.denom, minimum.amount - held)

    def require(self, store: KVStore, owner: bytes) -> Provider:
        """The provider an index entry names (the index lists only stored providers)."""
        provider = self.provider(store, owner)
        if provider is None:
            raise INTERNAL(f"attribute index names {owner.hex()}, which is not a provider")
        return provider

    def providers(self, store: KVStore) -> Iterator[Provider]:
        for _, raw in iterate_prefix(store, keys.PROVIDER_PREFIX):
            yield Provider.decode(raw)

    def releases(self, store: KVStore, until: int | None = None) -> Iterator[CollateralRelease]:
        """Pending releases in completion order (only those due by height until, if given)."""
        end = prefix_end(keys.RELEASE_PREFIX) if until is None else keys.releases_until(until)
        for key, raw in store.iterate(keys.RELEASE_PREFIX, end):
            rest = key[len(keys.RELEASE_PREFIX) :]
            yield CollateralRelease(
                owner=rest[keys.HEIGHT_WIDTH :],
                completion_height=decode_uint(rest[: keys.HEIGHT_WIDTH]),
                amount=coin_from_json(json.loads(raw)),
            )

    def releases_of(self, store: KVStore, owner: bytes) -> list[CollateralRelease]:
        """owner's pending releases, in completion order, read through the by-owner index."""
        found = []
        for key, _ in iterate_prefix(store, keys.owner_releases_prefix(owner)):
            height = decode_uint(key[-keys.HEIGHT_WIDTH :])
            raw = store.get(keys.release_key(height, owner))
            if raw is None:
                raise INTERNAL(f"release index names {owner.hex()} at {height}, not queued")
            found.append(CollateralRelease(owner, height, coin_from_json(json.loads(raw))))
        return found

    def reputation(self, store: KVStore, provider: bytes) -> Reputation:
        """provider's counters (all zero for an address the chain has no record of)."""
        raw = store.get(keys.reputation_key(provider))
        return Reputation.decode(raw) if raw is not None else Reputation(provider)

    def reputations(self, store: KVStore) -> Iterator[Reputation]:
        for _, raw in iterate_prefix(store, keys.REPUTATION_PREFIX):
            yield Reputation.decode(raw)

    def reputation_score(self, store: KVStore, provider: bytes) -> int:
        """The integer matching ranks equal prices by, higher first (Reputation.score)."""
        return self.reputation(store, provider).score()

    def obligation(self, store: KVStore, owner: bytes) -> str | None:
        """The first registered reason owner may not leave yet, or None."""
        for hook in self.obligations:
            reason = hook.has_obligations(store, owner)
            if reason is not None:
                return reason
        return None

    # --- writes --------------------------------------------------------------------

    def set_params(self, store: KVStore, params: Params) -> None:
        set_params(store, keys.PARAMS_KEY, params)

    def set_provider(self, store: KVStore, provider: Provider) -> None:
        """Store provider, replacing its attribute index entries."""
        previous = self.provider(store, provider.owner)
        if previous is not None:
            self._unindex(store, previous)
        store.set(keys.provider_key(provider.owner), provider.encode())
        for key, value in provider.attributes:
            store.set(keys.attribute_index_key(key, value, provider.owner), b"")

    def set_reputation(self, store: KVStore, reputation: Reputation) -> None:
        store.set(keys.reputation_key(reputation.provider), reputation.encode())

    def _count(self, store: KVStore, provider: bytes, counter: str) -> None:
        self.set_reputation(store, self.reputation(store, provider).counted(counter))

    def record_lease_won(self, store: KVStore, provider: bytes) -> None:
        self._count(store, provider, "leases_won")

    def record_lease_completed(self, store: KVStore, provider: bytes) -> None:
        self._count(store, provider, "leases_completed")

    def record_lease_failed(self, store: KVStore, provider: bytes) -> None:
        self._count(store, provider, "leases_failed")

    def record_report_on_time(self, store: KVStore, provider: bytes) -> None:
        self._count(store, provider, "reports_on_time")

    def record_slash(self, store: KVStore, provider: bytes) -> None:
        self._count(store, provider, "slashes")

    def _unindex(self, store: KVStore, provider: Provider) -> None:
        for key, value in provider.attributes:
            store.delete(keys.attribute_index_key(key, value, provider.owner))

    def add_release(self, store: KVStore, release: CollateralRelease) -> None:
        """Queue release, merged with one of the same owner due at the same height."""
        key = keys.release_key(release.completion_height, release.owner)
        raw = store.get(key)
        amount = release.amount
        if raw is not None:
            amount = Coin(amount.denom, amount.amount + coin_from_json(json.loads(raw)).amount)
        store.set(key, canonical({"denom": amount.denom, "amount": str(amount.amount)}))
        store.set(keys.owner_release_key(release.owner, release.completion_height), b"")

    def create(self, ctx: Context, provider: Provider) -> None:
        """Lock provider's collateral from its owner (raises INSUFFICIENT_FUNDS) and store it."""
        self._bank.send(
            ctx, provider.owner, COLLATERAL_ACCOUNT.address, Coins.of([provider.collateral])
        )
        self.set_provider(ctx.store, provider)
        events.emit_provider_created(ctx, provider.owner, provider.host_uri, provider.collateral)

    def update(self, ctx: Context, provider: Provider) -> None:
        self.set_provider(ctx.store, provider)
        events.emit_provider_updated(
            ctx, provider.owner, provider.host_uri, provider.cert_fingerprint
        )

    def add_collateral(self, ctx: Context, provider: Provider, amount: Coin) -> None:
        """Lock amount more (raises INSUFFICIENT_FUNDS); amount is in the collateral's denom."""
        self._bank.send(ctx, provider.owner, COLLATERAL_ACCOUNT.address, Coins.of([amount]))
        total = Coin(amount.denom, provider.collateral.amount + amount.amount)
        self.set_provider(ctx.store, replace(provider, collateral=total))
        events.emit_collateral_added(ctx, provider.owner, amount, total)

    def delete(self, ctx: Context, provider: Provider) -> int:
        """Remove provider and queue its collateral for the end of the unbonding period
        (nothing is queued when slashes took all of it); returns the height it is paid
        back at."""
        completion = ctx.height + self._staking.params(ctx.store).unbonding_blocks
        self._unindex(ctx.store, provider)
        ctx.store.delete(keys.provider_key(provider.owner))
        if provider.collateral.amount:
            self.add_release(
                ctx.store, CollateralRelease(provider.owner, completion, provider.collateral)
            )
        events.emit_provider_deleted(ctx, provider.owner, provider.collateral, completion)
        return completion

    def release_due(self, ctx: Context) -> None:
        """Pay back every queued collateral whose completion height has come."""
        due = list(self.releases(ctx.store, until=ctx.height))
        for release in due:
            ctx.store.delete(keys.release_key(release.completion_height, release.owner))
            ctx.store.delete(keys.owner_release_key(release.owner, release.completion_height))
            self._bank.send(
                ctx, COLLATERAL_ACCOUNT.address, release.owner, Coins.of([release.amount])
            )
            events.emit_collateral_released(ctx, release.owner, release.amount)

    def slash_collateral(
        self, ctx: Context, owner: bytes, fraction_bps: int, pay_out: PayOut
    ) -> int:
        """Take fraction_bps/10000 of owner's collateral (rounded down), lower its recorded
        collateral and hand the tokens to pay_out, which moves them out of the collateral
        account; counts a slash and returns the amount taken (0 for an owner who is not a
        provider). Raises INTERNAL on a fraction outside 0..10000 or when pay_out did not
        move exactly the amount out."""
        if not 0 <= fraction_bps <= BPS_ONE:
            raise INTERNAL(f"slash fraction {fraction_bps} bps is outside 0..{BPS_ONE}")
        provider = self.provider(ctx.store, owner)
        if provider is None:
            return 0
        held = provider.collateral
        slashed = Coin(held.denom, held.amount * fraction_bps // BPS_ONE)
        left = Coin(held.denom, held.amount - slashed.amount)
        self.set_provider(ctx.store, replace(provider, collateral=left))
        if slashed.amount:
            before = self._bank.balance(ctx.store, COLLATERAL_ACCOUNT.address, held.denom)
            pay_out(ctx, COLLATERAL_ACCOUNT.address, slashed)
            after = self._bank.balance(ctx.store, COLLATERAL_ACCOUNT.address, held.denom)
            if before - after != slashed.amount:
                raise INTERNAL(f"slash of {slashed} moved {before - after} out of collateral")
        self.record_slash(ctx.store, owner)
        events.emit_provider_slashed(ctx, owner, slashed, left, fraction_bps)
        return slashed.amount
