"""distribution events, in Cosmos SDK's names (`commission`, `rewards`, `withdraw_rewards`,
`withdraw_commission`) plus `mint` for the block's provision.

Amounts are written with their denom (`100ugpc`); validators as gpuvaloper… addresses.
"""

from __future__ import annotations

from chain.context import Context
from chain.crypto import encode_address, encode_validator_address


def emit_mint(ctx: Context, amount: str, inflation_rate: str) -> None:
    ctx.emit("mint", ("amount", amount), ("inflation_rate", inflation_rate))


def emit_allocation(ctx: Context, operator: bytes, commission: str, rewards: str) -> None:
    """One validator's share of a block's rewards: its commission, then the delegators' part."""
    address = encode_validator_address(operator)
    ctx.emit("commission", ("amount", commission), ("validator", address))
    ctx.emit("rewards", ("amount", rewards), ("validator", address))


def emit_withdraw_rewards(ctx: Context, amount: str, operator: bytes, delegator: bytes) -> None:
    ctx.emit(
        "withdraw_rewards",
        ("amount", amount),
        ("validator", encode_validator_address(operator)),
        ("delegator", encode_address(delegator)),
    )


def emit_withdraw_commission(ctx: Context, amount: str, operator: bytes) -> None:
    ctx.emit(
        "withdraw_commission",
        ("amount", amount),
        ("validator", encode_validator_address(operator)),
    )
