"""Deployment params, states and the bounds every group is checked against.

The bounds are constants, not params: the stateless check of a message (which reads no
state) enforces them, as Akash's validation config does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from x.deployment.errors import INVALID_PARAMS

BOND_DENOM = "ugpc"
ACTIVE = "active"
CLOSED = "closed"
DEPLOYMENT_STATES = (ACTIVE, CLOSED)
GROUP_OPEN = "open"
GROUP_PAUSED = "paused"
GROUP_CLOSED = "closed"
MANIFEST_HASH_BYTES = 32

MAX_GROUPS = 20
MAX_UNITS_PER_GROUP = 20
MAX_UNIT_COUNT = 50  # replicas of one resource unit
MAX_NAME_LENGTH = 128
MAX_ATTRIBUTES = 64
MAX_ATTRIBUTE_TEXT = 256
MAX_AUDITORS = 16
MIN_CPU_MILLIS = 10
MAX_CPU_MILLIS = 384_000
MIN_MEMORY = 1 << 20
MAX_MEMORY = 2 << 40
MIN_STORAGE = 5 << 20
MAX_STORAGE = 32 << 40
MAX_STORAGE_VOLUMES = 8
MAX_GPU_UNITS = 24
GPU_VENDORS = ("amd", "nvidia")
MAX_ENDPOINTS = 64
ENDPOINT_KINDS = (0, 1, 2)  # shared HTTP, random port, leased IP


@dataclass(frozen=True)
class Params:
    """min_deposit: the least a new deployment's escrow is opened with, in ugpc."""

    min_deposit: int = 5_000_000

    def to_json(self) -> dict[str, str]:
        return {"min_deposit": str(self.min_deposit)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        """Missing fields take their defaults; raises INVALID_PARAMS naming a bad field."""
        if not isinstance(data, dict):
            raise INVALID_PARAMS("params must be a JSON object")
        unknown = sorted(set(data) - {"min_deposit"})
        if unknown:
            raise INVALID_PARAMS(f"unknown field {unknown[0]!r}")
        raw = data.get("min_deposit", cls().min_deposit)
        try:
            min_deposit = int(str(raw))
        except ValueError:
            raise INVALID_PARAMS(f"min_deposit {raw!r} is not an integer") from None
        if min_deposit <= 0:
            raise INVALID_PARAMS(f"min_deposit must be positive, got {min_deposit}")
        return cls(min_deposit=min_deposit)
