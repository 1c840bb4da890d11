"""audit events, one per state transition; keys are comma-separated."""

from __future__ import annotations

from collections.abc import Iterable

from chain.context import Context
from chain.crypto import encode_address


def emit_attributes_signed(ctx: Context, owner: bytes, auditor: bytes, keys: Iterable[str]) -> None:
    ctx.emit(
        "audit_attributes_signed",
        ("owner", encode_address(owner)),
        ("auditor", encode_address(auditor)),
        ("keys", ",".join(keys)),
    )


def emit_attributes_deleted(
    ctx: Context, owner: bytes, auditor: bytes, keys: Iterable[str]
) -> None:
    ctx.emit(
        "audit_attributes_deleted",
        ("owner", encode_address(owner)),
        ("auditor", encode_address(auditor)),
        ("keys", ",".join(keys)),
    )
