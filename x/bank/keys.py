"""Store layout of the bank module (module prefix 0x02).

| key | value |
|---|---|
| `0x02 0x01 ‖ denom` | total supply of denom (big-endian integer, no leading zeros) |
| `0x02 0x02 ‖ address(20) ‖ denom` | balance (big-endian integer); absent means zero |

Addresses are fixed width, so a prefix scan over `0x02 0x02 ‖ address` lists one
account's balances in denom order.
"""

MODULE_PREFIX = b"\x02"
SUPPLY_PREFIX = MODULE_PREFIX + b"\x01"
BALANCE_PREFIX = MODULE_PREFIX + b"\x02"


def supply_key(denom: str) -> bytes:
    return SUPPLY_PREFIX + denom.encode()


def balance_key(address: bytes, denom: str) -> bytes:
    return BALANCE_PREFIX + address + denom.encode()
