"""Registered errors of the distribution module (codespace "distribution").

Codes are Cosmos SDK's x/distribution codes, so clients that know Cosmos read them right.
"""

from chain.errors import register

CODESPACE = "distribution"

NO_VALIDATOR_COMMISSION = register(CODESPACE, 7, "no validator commission to withdraw")
UNKNOWN_VALIDATOR = register(CODESPACE, 12, "validator does not exist")
NO_DELEGATION = register(CODESPACE, 13, "delegation does not exist")
