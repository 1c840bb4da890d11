"""Registered errors of the market module (codespace "market")."""

from chain.errors import register

CODESPACE = "market"

INVALID_BID = register(CODESPACE, 2, "invalid bid")
ORDER_NOT_FOUND = register(CODESPACE, 3, "order not found")
ORDER_NOT_OPEN = register(CODESPACE, 4, "order not open")
BID_EXISTS = register(CODESPACE, 5, "provider already bid on this order")
PRICE_TOO_HIGH = register(CODESPACE, 6, "bid price above the group's max price")
INSUFFICIENT_BID_DEPOSIT = register(CODESPACE, 7, "bid deposit below the minimum")
NOT_A_PROVIDER = register(CODESPACE, 8, "bidder is not a provider")
ATTRIBUTES_NOT_MET = register(CODESPACE, 9, "provider lacks the placement attributes")
NOT_SIGNED_BY = register(CODESPACE, 10, "provider attributes not signed by the required auditors")
RESOURCES_MISMATCH = register(CODESPACE, 11, "bid resources differ from the group's")
TOO_MANY_BIDS = register(CODESPACE, 12, "order has the most bids it takes")
BID_NOT_FOUND = register(CODESPACE, 13, "bid not found")
BID_NOT_OPEN = register(CODESPACE, 14, "bid not open")
LEASE_NOT_FOUND = register(CODESPACE, 15, "lease not found")
LEASE_CLOSED = register(CODESPACE, 16, "lease closed")
INVALID_REASON = register(CODESPACE, 17, "lease close reason not allowed")
INVALID_DENOM = register(CODESPACE, 18, "amount in an unknown denomination")
INVALID_PARAMS = register(CODESPACE, 19, "invalid market params")
INVALID_GENESIS = register(CODESPACE, 20, "invalid market genesis")
COLLATERAL_TOO_LOW = register(CODESPACE, 21, "provider collateral below the minimum")
