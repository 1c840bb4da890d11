"""One auditor's attributes on one provider, in the JSON its proto (AuditedAttributes)
declares: the store, genesis and queries share it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chain.crypto import decode_address, encode_address


@dataclass(frozen=True)
class AuditedAttributes:
    """attributes are sorted by key (one value per key)."""

    owner: bytes
    auditor: bytes
    attributes: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": encode_address(self.owner),
            "auditor": encode_address(self.auditor),
            "attributes": [{"key": key, "value": value} for key, value in self.attributes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditedAttributes:
        """Raises KeyError, TypeError or ValueError on malformed data."""
        return cls(
            owner=decode_address(str(data["owner"])),
            auditor=decode_address(str(data["auditor"])),
            attributes=tuple(
                (str(entry["key"]), str(entry["value"])) for entry in data["attributes"]
            ),
        )

    def encode(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> AuditedAttributes:
        return cls.from_json(json.loads(raw))
