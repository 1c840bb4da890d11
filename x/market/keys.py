"""Store layout of the market module (module prefix 0x09). An order id is
`owner(20) ‖ dseq(8) ‖ gseq(4) ‖ oseq(4)`; a bid or lease id is the order id ‖ provider(20).

| key | value |
|---|---|
| `0x09 0x00` | params (canonical JSON) |
| `0x09 0x01 ‖ order id` | order (gpuchain.market.v1.Order) |
| `0x09 0x02 ‖ state(1) ‖ order id` | empty: the order is in that state |
| `0x09 0x03 ‖ window end(8) ‖ order id` | empty: an open order whose bid window ends then |
| `0x09 0x04 ‖ bid id` | bid (gpuchain.market.v1.Bid) |
| `0x09 0x05 ‖ state(1) ‖ bid id` | empty: the bid is in that state |
| `0x09 0x06 ‖ provider(20) ‖ state(1) ‖ order id` | empty: the provider's bids by state |
| `0x09 0x07 ‖ lease id` | lease (gpuchain.market.v1.Lease) |
| `0x09 0x08 ‖ state(1) ‖ lease id` | empty: the lease is in that state |
| `0x09 0x09 ‖ provider(20) ‖ state(1) ‖ order id` | empty: the provider's leases by state |
| `0x09 0x0a` | the next bid sequence (uint64) |

Sub-prefixes 0x10 to 0x1f are left to usage reports (x/market/usage*.py).

The window index lets the end-block read only the orders whose window ends in that block;
the lease state index (state ‖ owner ‖ dseq …) lists one deployment's active leases, which
is how a deployment whose escrow runs dry finds exactly its leases.
"""

from __future__ import annotations

from chain.store import encode_uint

MODULE_PREFIX = b"\x09"
PARAMS_KEY = MODULE_PREFIX + b"\x00"
ORDER_PREFIX = MODULE_PREFIX + b"\x01"
ORDER_STATE_PREFIX = MODULE_PREFIX + b"\x02"
ORDER_WINDOW_PREFIX = MODULE_PREFIX + b"\x03"
BID_PREFIX = MODULE_PREFIX + b"\x04"
BID_STATE_PREFIX = MODULE_PREFIX + b"\x05"
BID_PROVIDER_PREFIX = MODULE_PREFIX + b"\x06"
LEASE_PREFIX = MODULE_PREFIX + b"\x07"
LEASE_STATE_PREFIX = MODULE_PREFIX + b"\x08"
LEASE_PROVIDER_PREFIX = MODULE_PREFIX + b"\x09"
BID_SEQUENCE_KEY = MODULE_PREFIX + b"\x0a"

ADDRESS_BYTES = 20
DEPLOYMENT_ID_BYTES = ADDRESS_BYTES + 8
GROUP_ID_BYTES = DEPLOYMENT_ID_BYTES + 4
ORDER_ID_BYTES = GROUP_ID_BYTES + 4
BID_ID_BYTES = ORDER_ID_BYTES + ADDRESS_BYTES


def deployment_id(owner: bytes, dseq: int) -> bytes:
    return owner + encode_uint(dseq, 8)


def group_id(owner: bytes, dseq: int, gseq: int) -> bytes:
    return deployment_id(owner, dseq) + encode_uint(gseq, 4)


def order_id(owner: bytes, dseq: int, gseq: int, oseq: int) -> bytes:
    return group_id(owner, dseq, gseq) + encode_uint(oseq, 4)


def window_prefix(height: int) -> bytes:
    return ORDER_WINDOW_PREFIX + encode_uint(height, 8)
