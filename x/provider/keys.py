"""Store layout of the provider module (module prefix 0x06).

| key | value |
|---|---|
| `0x06 0x00` | params (canonical JSON) |
| `0x06 0x01 ‖ owner(20)` | provider (canonical JSON) |
| `0x06 0x02 ‖ attribute key ‖ 0x00 ‖ value ‖ 0x00 ‖ owner(20)` | empty: owner declares key=value |
| `0x06 0x03 ‖ completion height(8) ‖ owner(20)` | collateral released to owner then (JSON coin) |
| `0x06 0x04 ‖ owner(20) ‖ completion height(8)` | empty: the same release, found by owner |
| `0x06 0x05 ‖ provider(20)` | reputation counters (canonical JSON), kept after a delete |

Attribute keys and values never hold a NUL byte (chain.attributes), so the index entries of
one key=value pair are exactly those under its prefix, and `query provider list
--attribute k=v` pages through them without reading other providers. The release queue is
ordered by completion height: begin-block reads only the entries that are due; its
by-owner index lets `query provider get` list one owner's releases alone.
"""

from __future__ import annotations

from chain.store import encode_uint

MODULE_PREFIX = b"\x06"
PARAMS_KEY = MODULE_PREFIX + b"\x00"
PROVIDER_PREFIX = MODULE_PREFIX + b"\x01"
ATTRIBUTE_INDEX_PREFIX = MODULE_PREFIX + b"\x02"
RELEASE_PREFIX = MODULE_PREFIX + b"\x03"
OWNER_RELEASE_PREFIX = MODULE_PREFIX + b"\x04"
REPUTATION_PREFIX = MODULE_PREFIX + b"\x05"
HEIGHT_WIDTH = 8


def provider_key(owner: bytes) -> bytes:
    return PROVIDER_PREFIX + owner


def attribute_prefix(key: str, value: str) -> bytes:
    return ATTRIBUTE_INDEX_PREFIX + key.encode() + b"\x00" + value.encode() + b"\x00"


def attribute_index_key(key: str, value: str, owner: bytes) -> bytes:
    return attribute_prefix(key, value) + owner


def releases_until(height: int) -> bytes:
    """The end (exclusive) of the release entries due at or before height."""
    return RELEASE_PREFIX + encode_uint(height + 1, HEIGHT_WIDTH)


def release_key(completion_height: int, owner: bytes) -> bytes:
    return RELEASE_PREFIX + encode_uint(completion_height, HEIGHT_WIDTH) + owner


def owner_releases_prefix(owner: bytes) -> bytes:
    return OWNER_RELEASE_PREFIX + owner


def owner_release_key(owner: bytes, completion_height: int) -> bytes:
    return OWNER_RELEASE_PREFIX + owner + encode_uint(completion_height, HEIGHT_WIDTH)


def reputation_key(provider: bytes) -> bytes:
    return REPUTATION_PREFIX + provider
