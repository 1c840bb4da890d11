"""What audit needs from the provider module: whether a provider exists."""

from __future__ import annotations

from typing import Protocol

from chain.store import KVStore


class ProviderKeeper(Protocol):
    def provider(self, store: KVStore, owner: bytes) -> object | None:
        """The provider owner runs, None when owner is not a provider."""
        ...
