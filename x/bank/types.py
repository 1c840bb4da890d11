"""Module accounts: addresses owned by modules, derived as Cosmos SDK derives them."""

from __future__ import annotations

import hashlib

from chain.crypto import ADDRESS_LENGTH

FEE_COLLECTOR = "fee_collector"
MODULE_ACCOUNT_NAMES = (FEE_COLLECTOR, "bonded_tokens_pool", "not_bonded_tokens_pool", "escrow")


def module_address(name: str) -> bytes:
    """sha256(name)[:20]: no private key exists for it, so only the module can spend."""
    return hashlib.sha256(name.encode()).digest()[:ADDRESS_LENGTH]


MODULE_ADDRESSES = frozenset(module_address(name) for name in MODULE_ACCOUNT_NAMES)
