"""What the chain keeps per active lease to hold its provider to a report schedule."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from google.protobuf import json_format

from chain.pb.gpuchain.market.v1 import market_pb2
from x.market.types import BidRef


@dataclass(frozen=True)
class Tracker:
    """An active lease's schedule: reports cover created_at+1..reported_until so far, and
    the next one must be in a block at or before due."""

    lease: BidRef
    created_at: int
    reported_until: int
    due: int

    @property
    def reported_blocks(self) -> int:
        return self.reported_until - self.created_at

    def reported(self, end_height: int, interval: int) -> Tracker:
        """The tracker after a report up to end_height: due interval blocks after it."""
        return replace(self, reported_until=end_height, due=end_height + interval)

    def to_json(self) -> dict[str, Any]:
        return {
            "lease_id": json_format.MessageToDict(
                self.lease.lease_proto(), preserving_proto_field_name=True
            ),
            "created_at": str(self.created_at),
            "reported_until": str(self.reported_until),
            "due": str(self.due),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tracker:
        """Raises KeyError, TypeError, ValueError (heights out of order), ParseError or
        AppError (a bad address) on malformed data."""
        lease = BidRef.of(json_format.ParseDict(data["lease_id"], market_pb2.LeaseID()))
        created_at, reported_until, due = (
            int(str(data[name])) for name in ("created_at", "reported_until", "due")
        )
        if not 0 <= created_at <= reported_until < due:
            raise ValueError("heights must satisfy 0 <= created_at <= reported_until < due")
        return cls(lease, created_at, reported_until, due)

    def encode(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Tracker:
        return cls.from_json(json.loads(raw))
