"""Registered errors of the audit module (codespace "audit")."""

from chain.errors import register

CODESPACE = "audit"

INVALID_ATTRIBUTES = register(CODESPACE, 2, "invalid attributes")
UNKNOWN_PROVIDER = register(CODESPACE, 3, "unknown provider")
NO_ATTRIBUTES = register(CODESPACE, 4, "auditor signed no attributes on this provider")
UNKNOWN_ATTRIBUTE = register(CODESPACE, 5, "attribute not signed by this auditor")
INVALID_GENESIS = register(CODESPACE, 6, "invalid audit genesis")
