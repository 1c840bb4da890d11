"""Store layout of the audit module (module prefix 0x07).

| key | value |
|---|---|
| `0x07 0x01 ‖ provider(20) ‖ auditor(20)` | the auditor's attributes on provider (canonical JSON) |
| `0x07 0x02 ‖ auditor(20) ‖ provider(20)` | empty: the auditor signed something on provider |

The second is an index, so `by auditor` pages without reading other auditors' records.
"""

from __future__ import annotations

MODULE_PREFIX = b"\x07"
RECORD_PREFIX = MODULE_PREFIX + b"\x01"
AUDITOR_INDEX_PREFIX = MODULE_PREFIX + b"\x02"


def provider_prefix(owner: bytes) -> bytes:
    return RECORD_PREFIX + owner


def record_key(owner: bytes, auditor: bytes) -> bytes:
    return RECORD_PREFIX + owner + auditor


def auditor_prefix(auditor: bytes) -> bytes:
    return AUDITOR_INDEX_PREFIX + auditor


def auditor_index_key(auditor: bytes, owner: bytes) -> bytes:
    return AUDITOR_INDEX_PREFIX + auditor + owner
