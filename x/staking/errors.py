"""Registered errors of the staking module (codespace "staking")."""

from chain.errors import register

CODESPACE = "staking"

VALIDATOR_EXISTS = register(CODESPACE, 2, "validator already exists")
PUBKEY_IN_USE = register(CODESPACE, 3, "consensus pubkey already used by a validator")
INVALID_PUBKEY = register(CODESPACE, 4, "invalid consensus pubkey")
INVALID_COMMISSION = register(CODESPACE, 5, "invalid commission")
COMMISSION_CHANGE = register(CODESPACE, 6, "commission change not allowed")
SELF_DELEGATION_TOO_LOW = register(CODESPACE, 7, "self delegation below minimum")
UNKNOWN_VALIDATOR = register(CODESPACE, 8, "validator does not exist")
INSUFFICIENT_SHARES = register(CODESPACE, 9, "insufficient delegation")
INVALID_AMOUNT = register(CODESPACE, 10, "invalid staking amount")
MIN_SELF_DELEGATION = register(CODESPACE, 11, "invalid minimum self delegation")
SELF_REDELEGATION = register(CODESPACE, 12, "cannot redelegate to the same validator")
TOO_MANY_ENTRIES = register(CODESPACE, 13, "too many unbonding or redelegation entries")
NO_TOKENS = register(CODESPACE, 14, "validator has no tokens")
INVALID_DESCRIPTION = register(CODESPACE, 15, "invalid description")
TRANSITIVE_REDELEGATION = register(
    CODESPACE,
    16,
    "redelegation to this validator already in progress; first redelegation "
    "to this validator must complete before next redelegation",
)
INVALID_GENESIS = register(CODESPACE, 17, "invalid staking genesis")
