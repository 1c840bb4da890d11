"""Store layout of the market's usage part (sub-prefixes 0x10 to 0x1f of the market's 0x09,
which the market leaves to it). A lease id is the market's: owner(20) ‖ dseq(8) ‖ gseq(4)
‖ oseq(4) ‖ provider(20).

| key | value |
|---|---|
| `0x09 0x10 ‖ lease id` | tracker of an active lease (canonical JSON) |
| `0x09 0x11 ‖ due height(8) ‖ lease id` | empty: the lease's next report is due by then |
| `0x09 0x12 ‖ lease id ‖ start height(8)` | usage report (gpuchain.market.v1.UsageReport) |

The due index is ordered by height, so the end-block reads only the entries due by its
height; reports of one lease are contiguous and ordered by their period.
"""

from __future__ import annotations

from chain.store import encode_uint
from x.market.keys import MODULE_PREFIX

TRACKER_PREFIX = MODULE_PREFIX + b"\x10"
DUE_PREFIX = MODULE_PREFIX + b"\x11"
REPORT_PREFIX = MODULE_PREFIX + b"\x12"
HEIGHT_WIDTH = 8


def tracker_key(lease: bytes) -> bytes:
    return TRACKER_PREFIX + lease


def due_key(height: int, lease: bytes) -> bytes:
    return DUE_PREFIX + encode_uint(height, HEIGHT_WIDTH) + lease


def due_until(height: int) -> bytes:
    """The end (exclusive) of the due index entries at or before height."""
    return DUE_PREFIX + encode_uint(height + 1, HEIGHT_WIDTH)


def reports_prefix(lease: bytes) -> bytes:
    return REPORT_PREFIX + lease


def report_key(lease: bytes, start_height: int) -> bytes:
    return reports_prefix(lease) + encode_uint(start_height, HEIGHT_WIDTH)
