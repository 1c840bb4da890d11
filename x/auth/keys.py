"""Store layout of the auth module (module prefix 0x01).

| key | value |
|---|---|
| `0x01 0x00` | params (JSON, canonical) |
| `0x01 0x01 ‖ address(20)` | account (cosmos.auth.v1beta1.BaseAccount) |
| `0x01 0x02` | next account number (8-byte big-endian) |
"""

MODULE_PREFIX = b"\x01"
PARAMS_KEY = MODULE_PREFIX + b"\x00"
ACCOUNT_PREFIX = MODULE_PREFIX + b"\x01"
NEXT_ACCOUNT_NUMBER_KEY = MODULE_PREFIX + b"\x02"


def account_key(address: bytes) -> bytes:
    return ACCOUNT_PREFIX + address
