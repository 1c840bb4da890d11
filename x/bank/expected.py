"""What bank needs from the auth module."""

from __future__ import annotations

from typing import Protocol

from chain.store import KVStore


class AccountCreator(Protocol):
    def ensure_account(self, store: KVStore, address: bytes) -> object:
        """Number the account on its first receipt of funds."""
        ...
