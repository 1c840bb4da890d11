"""slashing events, in Cosmos SDK's names (`slash`, `liveness`) plus `jail` and `unjail`.

Consensus addresses are written as CometBFT writes them: upper-case hex.
"""

from __future__ import annotations

from chain.context import Context
from chain.crypto import encode_validator_address

REASON_DOUBLE_SIGN = "double_sign"
REASON_MISSING_SIGNATURE = "missing_signature"


def consensus_text(address: bytes) -> str:
    return address.hex().upper()


def emit_slash(
    ctx: Context, address: bytes, operator: bytes, power: int, reason: str, burned: int
) -> None:
    ctx.emit(
        "slash",
        ("address", consensus_text(address)),
        ("validator", encode_validator_address(operator)),
        ("power", str(power)),
        ("reason", reason),
        ("burned", str(burned)),
    )


def emit_liveness(ctx: Context, address: bytes, missed_blocks: int) -> None:
    ctx.emit(
        "liveness",
        ("address", consensus_text(address)),
        ("missed_blocks", str(missed_blocks)),
        ("height", str(ctx.height)),
    )


def emit_jail(ctx: Context, address: bytes, operator: bytes, reason: str, until: int) -> None:
    ctx.emit(
        "jail",
        ("address", consensus_text(address)),
        ("validator", encode_validator_address(operator)),
        ("reason", reason),
        ("jailed_until", str(until)),
    )


def emit_unjail(ctx: Context, operator: bytes) -> None:
    ctx.emit("unjail", ("validator", encode_validator_address(operator)))
