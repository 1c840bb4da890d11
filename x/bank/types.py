"""Module accounts: addresses owned by modules (see chain.crypto.module_address)."""

from __future__ import annotations

from chain.crypto import module_address

FEE_COLLECTOR = "fee_collector"
BONDED_POOL = "bonded_tokens_pool"
NOT_BONDED_POOL = "not_bonded_tokens_pool"
DISTRIBUTION = "distribution"
MODULE_ACCOUNT_NAMES = (FEE_COLLECTOR, BONDED_POOL, NOT_BONDED_POOL, DISTRIBUTION, "escrow")

MODULE_ADDRESSES = frozenset(module_address(name) for name in MODULE_ACCOUNT_NAMES)
