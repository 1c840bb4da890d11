"""Registered errors of the escrow module (codespace "escrow")."""

from chain.errors import register

CODESPACE = "escrow"

ACCOUNT_EXISTS = register(CODESPACE, 2, "escrow account already exists")
ACCOUNT_NOT_FOUND = register(CODESPACE, 3, "escrow account not found")
ACCOUNT_CLOSED = register(CODESPACE, 4, "escrow account closed")
INVALID_DENOM = register(CODESPACE, 5, "invalid escrow denomination")
INVALID_AMOUNT = register(CODESPACE, 6, "invalid escrow amount")
INVALID_GENESIS = register(CODESPACE, 7, "invalid escrow genesis")
