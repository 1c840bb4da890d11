"""Registered errors of the slashing module (codespace "slashing", Cosmos SDK's codes)."""

from chain.errors import register

CODESPACE = "slashing"

UNKNOWN_VALIDATOR = register(CODESPACE, 2, "address is not associated with any known validator")
STILL_JAILED = register(CODESPACE, 4, "validator still jailed; cannot be unjailed")
NOT_JAILED = register(CODESPACE, 5, "validator not jailed; cannot be unjailed")
MISSING_SELF_DELEGATION = register(
    CODESPACE, 6, "validator has no self-delegation; cannot be unjailed"
)
SELF_DELEGATION_TOO_LOW = register(
    CODESPACE, 7, "validator's self delegation less than minimum; cannot be unjailed"
)
NO_SIGNING_INFO = register(CODESPACE, 8, "no validator signing info found")
TOMBSTONED = register(CODESPACE, 9, "validator tombstoned for double signing; cannot be unjailed")
INVALID_PARAMS = register(CODESPACE, 10, "invalid slashing params")
INVALID_GENESIS = register(CODESPACE, 11, "invalid slashing genesis")
