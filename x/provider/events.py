"""provider events, one per state transition; addresses are bech32 account addresses."""

from __future__ import annotations

from chain.coins import Coin
from chain.context import Context
from chain.crypto import encode_address


def emit_provider_created(ctx: Context, owner: bytes, host_uri: str, collateral: Coin) -> None:
    ctx.emit(
        "provider_created",
        ("owner", encode_address(owner)),
        ("host_uri", host_uri),
        ("collateral", str(collateral)),
    )


def emit_provider_updated(ctx: Context, owner: bytes, host_uri: str, fingerprint: str) -> None:
    ctx.emit(
        "provider_updated",
        ("owner", encode_address(owner)),
        ("host_uri", host_uri),
        ("cert_fingerprint", fingerprint),
    )


def emit_provider_deleted(ctx: Context, owner: bytes, collateral: Coin, release_at: int) -> None:
    ctx.emit(
        "provider_deleted",
        ("owner", encode_address(owner)),
        ("collateral", str(collateral)),
        ("release_height", str(release_at)),
    )


def emit_collateral_added(ctx: Context, owner: bytes, amount: Coin, total: Coin) -> None:
    ctx.emit(
        "provider_collateral_added",
        ("owner", encode_address(owner)),
        ("amount", str(amount)),
        ("collateral", str(total)),
    )


def emit_collateral_released(ctx: Context, owner: bytes, amount: Coin) -> None:
    ctx.emit(
        "provider_collateral_released",
        ("owner", encode_address(owner)),
        ("amount", str(amount)),
    )


def emit_provider_slashed(
    ctx: Context, owner: bytes, amount: Coin, collateral: Coin, fraction_bps: int
) -> None:
    ctx.emit(
        "provider_slashed",
        ("owner", encode_address(owner)),
        ("amount", str(amount)),
        ("collateral", str(collateral)),
        ("fraction_bps", str(fraction_bps)),
    )
