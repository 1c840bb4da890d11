"""Registered errors of the market's usage reports (codespace "usage")."""

from chain.errors import register

CODESPACE = "usage"

INVALID_REPORT = register(CODESPACE, 2, "invalid usage report")
NOT_LEASE_PROVIDER = register(CODESPACE, 3, "not the lease's provider")
PERIOD_OUT_OF_ORDER = register(CODESPACE, 4, "report period does not follow the last one")
PERIOD_IN_FUTURE = register(CODESPACE, 5, "report period ends after the current height")
INVALID_GENESIS = register(CODESPACE, 6, "invalid usage genesis")
