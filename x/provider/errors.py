"""Registered errors of the provider module (codespace "provider")."""

from chain.errors import register

CODESPACE = "provider"

INVALID_PROVIDER = register(CODESPACE, 2, "invalid provider")
PROVIDER_EXISTS = register(CODESPACE, 3, "provider already exists")
UNKNOWN_PROVIDER = register(CODESPACE, 4, "unknown provider")
COLLATERAL_TOO_LOW = register(CODESPACE, 5, "collateral below the minimum")
WRONG_COLLATERAL_DENOM = register(CODESPACE, 6, "collateral in the wrong denom")
HAS_OBLIGATIONS = register(CODESPACE, 7, "provider has active leases or open bids")
INVALID_PARAMS = register(CODESPACE, 8, "invalid provider params")
INVALID_GENESIS = register(CODESPACE, 9, "invalid provider genesis")
