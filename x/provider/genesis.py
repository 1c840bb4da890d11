"""provider genesis: params, every provider, every pending collateral release and every
reputation record, so an exported chain imports to exactly the same provider state. The
collateral itself is in bank's section, as the provider_collateral module account's
balance."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from chain.context import Context
from chain.crypto import encode_address
from chain.errors import AppError
from chain.store import KVStore
from x.provider import msgs
from x.provider.errors import INVALID_GENESIS
from x.provider.keeper import ProviderKeeper
from x.provider.types import CollateralRelease, Params, Provider, Reputation

T = TypeVar("T")
Parsed = tuple[Params, list[Provider], list[CollateralRelease], list[Reputation]]


def default_genesis() -> dict[str, Any]:
    return {"params": Params().to_json(), "providers": [], "releases": [], "reputations": []}


def _entries(state: dict[str, Any], name: str) -> list[Any]:
    entries = state.get(name, [])
    if not isinstance(entries, list):
        raise INVALID_GENESIS(f"provider.{name} is not a list")
    return entries


def _each(
    state: dict[str, Any], name: str, parse: Callable[[Any], T]
) -> Iterator[tuple[str, Any, T]]:
    """Each entry of provider.<name> with where it sits and what parse makes of it; raises
    INVALID_GENESIS naming the first entry parse refuses or cannot read."""
    for index, entry in enumerate(_entries(state, name)):
        where = f"provider.{name}[{index}]"
        try:
            parsed = parse(entry)
        except AppError as error:
            raise INVALID_GENESIS(f"{where}: {error.log}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise INVALID_GENESIS(f"{where} is malformed: {error!r}"[:200]) from None
        yield where, entry, parsed


def _provider(entry: Any) -> Provider:
    """A provider checked as MsgUpdateProvider would be, its collateral only as a coin: a
    slash may have taken all of it."""
    provider = Provider.from_json(entry)
    msgs.validate_update(
        msgs.update_provider_msg(
            encode_address(provider.owner),
            provider.host_uri,
            provider.attributes,
            provider.email,
            provider.website,
            provider.cert_fingerprint,
        )
    )
    return provider


def parse_genesis(state: dict[str, Any]) -> Parsed:
    """Raises INVALID_PARAMS or INVALID_GENESIS naming the first bad entry."""
    params = Params.from_json(state.get("params", {}))
    providers: dict[bytes, Provider] = {}
    for where, entry, provider in _each(state, "providers", _provider):
        if provider.owner in providers:
            raise INVALID_GENESIS(f"{where}: {entry['owner']} listed twice")
        providers[provider.owner] = provider
    releases: dict[tuple[int, bytes], CollateralRelease] = {}
    for where, entry, release in _each(state, "releases", CollateralRelease.from_json):
        if release.completion_height <= 0 or release.amount.amount <= 0:
            raise INVALID_GENESIS(f"{where} needs a positive completion_height and amount")
        key = (release.completion_height, release.owner)
        if key in releases:
            raise INVALID_GENESIS(f"{where}: {entry['owner']} listed twice at that height")
        releases[key] = release
    reputations: dict[bytes, Reputation] = {}
    for where, entry, reputation in _each(state, "reputations", Reputation.from_json):
        if reputation.provider in reputations:
            raise INVALID_GENESIS(f"{where}: {entry['provider']} listed twice")
        reputations[reputation.provider] = reputation
    return params, list(providers.values()), list(releases.values()), list(reputations.values())


def validate_genesis(state: dict[str, Any]) -> None:
    parse_genesis(state)


def init_genesis(ctx: Context, keeper: ProviderKeeper, state: dict[str, Any]) -> None:
    params, providers, releases, reputations = parse_genesis(state)
    keeper.set_params(ctx.store, params)
    for provider in providers:
        keeper.set_provider(ctx.store, provider)
    for release in releases:
        keeper.add_release(ctx.store, release)
    for reputation in reputations:
        keeper.set_reputation(ctx.store, reputation)


def export_genesis(store: KVStore, keeper: ProviderKeeper) -> dict[str, Any]:
    return {
        "params": keeper.params(store).to_json(),
        "providers": [provider.to_json() for provider in keeper.providers(store)],
        "releases": [release.to_json() for release in keeper.releases(store)],
        "reputations": [reputation.to_json() for reputation in keeper.reputations(store)],
    }
