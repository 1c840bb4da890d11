"""deployment events: one per state transition of a deployment or a group."""

from __future__ import annotations

from chain.context import Context
from chain.crypto import encode_address


def _deployment(owner: bytes, dseq: int) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("owner", encode_address(owner)), ("dseq", str(dseq))


def emit_deployment_created(ctx: Context, owner: bytes, dseq: int, manifest_hash: bytes) -> None:
    ctx.emit(
        "deployment_created", *_deployment(owner, dseq), ("manifest_hash", manifest_hash.hex())
    )


def emit_deployment_updated(ctx: Context, owner: bytes, dseq: int, manifest_hash: bytes) -> None:
    ctx.emit(
        "deployment_updated", *_deployment(owner, dseq), ("manifest_hash", manifest_hash.hex())
    )


def emit_deployment_closed(ctx: Context, owner: bytes, dseq: int) -> None:
    ctx.emit("deployment_closed", *_deployment(owner, dseq))


def emit_group(ctx: Context, transition: str, owner: bytes, dseq: int, gseq: int) -> None:
    """transition: created, closed, paused or started (event `group_<transition>`)."""
    ctx.emit(f"group_{transition}", *_deployment(owner, dseq), ("gseq", str(gseq)))
