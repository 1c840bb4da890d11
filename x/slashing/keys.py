"""Store layout of the slashing module (module prefix 0x04).

| key | value |
|---|---|
| `0x04 0x00` | params (canonical JSON) |
| `0x04 0x01 ‖ consensus address(20)` | signing info (canonical JSON) |
| `0x04 0x02 ‖ consensus address(20) ‖ window index(8)` | `0x01`: that block was missed |

A missed block is a present key; a signed one is an absent key, so a validator that signs
everything stores nothing per block. The window index is `index_offset % window`, so each
validator has at most `signed_blocks_window` bit keys and a block touches one per validator.
"""

from __future__ import annotations

from chain.store import encode_uint

MODULE_PREFIX = b"\x04"
PARAMS_KEY = MODULE_PREFIX + b"\x00"
SIGNING_INFO_PREFIX = MODULE_PREFIX + b"\x01"
MISSED_BLOCK_PREFIX = MODULE_PREFIX + b"\x02"
MISSED = b"\x01"


def signing_info_key(consensus_address: bytes) -> bytes:
    return SIGNING_INFO_PREFIX + consensus_address


def missed_blocks_prefix(consensus_address: bytes) -> bytes:
    return MISSED_BLOCK_PREFIX + consensus_address


def missed_block_key(consensus_address: bytes, index: int) -> bytes:
    return MISSED_BLOCK_PREFIX + consensus_address + encode_uint(index, 8)
