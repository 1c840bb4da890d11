"""Store layout of the escrow module (module prefix 0x0a).

| key | value |
|---|---|
| `0x0a 0x00` | params (canonical JSON) |
| `0x0a 0x01 ‖ owner(20) ‖ dseq(8)` | escrow account (canonical JSON) |
| `0x0a 0x02 ‖ owner(20) ‖ dseq(8) ‖ payment id (utf-8)` | one payment per lease (canonical JSON) |
| `0x0a 0x03 ‖ dry height(8) ‖ owner(20) ‖ dseq(8)` | `0x01`: that account runs dry at that height |

The dry-height index is what lets a block close exactly the accounts that run out in it:
it reads one prefix per block, never every account.
"""

from __future__ import annotations

from chain.store import encode_uint

MODULE_PREFIX = b"\x0a"
PARAMS_KEY = MODULE_PREFIX + b"\x00"
ACCOUNT_PREFIX = MODULE_PREFIX + b"\x01"
PAYMENT_PREFIX = MODULE_PREFIX + b"\x02"
DRY_HEIGHT_PREFIX = MODULE_PREFIX + b"\x03"
PRESENT = b"\x01"


def account_id(owner: bytes, dseq: int) -> bytes:
    return owner + encode_uint(dseq, 8)


def account_key(owner: bytes, dseq: int) -> bytes:
    return ACCOUNT_PREFIX + account_id(owner, dseq)


def payments_prefix(owner: bytes, dseq: int) -> bytes:
    return PAYMENT_PREFIX + account_id(owner, dseq)


def payment_key(owner: bytes, dseq: int, payment_id: str) -> bytes:
    return payments_prefix(owner, dseq) + payment_id.encode()


def dry_height_prefix(height: int) -> bytes:
    return DRY_HEIGHT_PREFIX + encode_uint(height, 8)


def dry_height_key(height: int, owner: bytes, dseq: int) -> bytes:
    return dry_height_prefix(height) + account_id(owner, dseq)
