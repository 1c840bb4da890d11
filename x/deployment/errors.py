"""Registered errors of the deployment module (codespace "deployment")."""

from chain.errors import register

CODESPACE = "deployment"

DEPLOYMENT_EXISTS = register(CODESPACE, 2, "deployment already exists")
DEPLOYMENT_NOT_FOUND = register(CODESPACE, 3, "deployment not found")
DEPLOYMENT_CLOSED = register(CODESPACE, 4, "deployment closed")
GROUP_NOT_FOUND = register(CODESPACE, 5, "group not found")
GROUP_CLOSED = register(CODESPACE, 6, "group closed")
GROUP_NOT_OPEN = register(CODESPACE, 7, "group not open")
GROUP_NOT_PAUSED = register(CODESPACE, 8, "group not paused")
INVALID_GROUPS = register(CODESPACE, 9, "invalid deployment groups")
INVALID_MANIFEST_HASH = register(CODESPACE, 10, "invalid manifest hash")
INVALID_DEPOSIT_DENOM = register(CODESPACE, 11, "deposit in an unknown denomination")
INSUFFICIENT_DEPOSIT = register(CODESPACE, 12, "deposit below the minimum")
INVALID_DSEQ = register(CODESPACE, 13, "invalid deployment sequence")
INVALID_PARAMS = register(CODESPACE, 14, "invalid deployment params")
INVALID_GENESIS = register(CODESPACE, 15, "invalid deployment genesis")
