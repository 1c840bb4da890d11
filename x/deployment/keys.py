"""Store layout of the deployment module (module prefix 0x08).

| key | value |
|---|---|
| `0x08 0x00` | params (canonical JSON) |
| `0x08 0x01 ‖ owner(20) ‖ dseq(8)` | deployment (gpuchain.deployment.v1.Deployment, groups empty) |
| `0x08 0x02 ‖ owner(20) ‖ dseq(8) ‖ gseq(4)` | group (gpuchain.deployment.v1.Group) |
| `0x08 0x03 ‖ state(1) ‖ owner(20) ‖ dseq(8)` | empty: the deployment is in that state |

The state index lets `Deployments` filter by state (and owner) a page at a time, reading only
the entries it answers with.
"""

from __future__ import annotations

from chain.store import encode_uint

MODULE_PREFIX = b"\x08"
PARAMS_KEY = MODULE_PREFIX + b"\x00"
DEPLOYMENT_PREFIX = MODULE_PREFIX + b"\x01"
GROUP_PREFIX = MODULE_PREFIX + b"\x02"
STATE_INDEX_PREFIX = MODULE_PREFIX + b"\x03"
STATE_BYTES = {"active": b"\x01", "closed": b"\x02"}


def deployment_id(owner: bytes, dseq: int) -> bytes:
    return owner + encode_uint(dseq, 8)


def deployment_key(owner: bytes, dseq: int) -> bytes:
    return DEPLOYMENT_PREFIX + deployment_id(owner, dseq)


def groups_prefix(owner: bytes, dseq: int) -> bytes:
    return GROUP_PREFIX + deployment_id(owner, dseq)


def group_key(owner: bytes, dseq: int, gseq: int) -> bytes:
    return groups_prefix(owner, dseq) + encode_uint(gseq, 4)


def state_prefix(state: str) -> bytes:
    return STATE_INDEX_PREFIX + STATE_BYTES[state]


def state_key(state: str, owner: bytes, dseq: int) -> bytes:
    return state_prefix(state) + deployment_id(owner, dseq)
