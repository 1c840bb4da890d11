"""Registered errors of the escrow module (codespace "escrow")."""

from chain.errors import register

CODESPACE = "escrow"

ACCOUNT_EXISTS = register(CODESPACE, 2, "escrow account already exists")
ACCOUNT_NOT_FOUND = register(CODESPACE, 3, "escrow account not found")
ACCOUNT_CLOSED = register(CODESPACE, 4, "escrow account closed")
INVALID_AMOUNT = register(CODESPACE, 5, "invalid escrow amount")
PAYMENT_EXISTS = register(CODESPACE, 6, "escrow payment already exists")
PAYMENT_NOT_FOUND = register(CODESPACE, 7, "escrow payment not found")
PAYMENT_CLOSED = register(CODESPACE, 8, "escrow payment closed")
INVALID_GENESIS = register(CODESPACE, 9, "invalid escrow genesis")
INVALID_PARAMS = register(CODESPACE, 10, "invalid escrow params")
