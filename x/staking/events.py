"""staking events, in Cosmos SDK's names (`create_validator`, `delegate`, `unbond`,
`redelegate`, `complete_unbonding`, …) plus `validator_status` and `slash`.

Amounts are written with their denom (`100ugpc`); validators as gpuvaloper… addresses.
"""

from __future__ import annotations

from chain.context import Context
from chain.crypto import encode_address, encode_validator_address


def emit_create_validator(ctx: Context, validator: str, amount: str) -> None:
    ctx.emit("create_validator", ("validator", validator), ("amount", amount))


def emit_edit_validator(ctx: Context, validator: str) -> None:
    ctx.emit("edit_validator", ("validator", validator))


def emit_delegate(
    ctx: Context, operator: bytes, delegator: bytes, amount: str, new_shares: int
) -> None:
    _emit_delegation(ctx, "delegate", operator, delegator, amount, ("new_shares", str(new_shares)))


def emit_unbond(
    ctx: Context, operator: bytes, delegator: bytes, amount: str, completion_height: int
) -> None:
    completion = ("completion_height", str(completion_height))
    _emit_delegation(ctx, "unbond", operator, delegator, amount, completion)


def _emit_delegation(
    ctx: Context,
    kind: str,
    operator: bytes,
    delegator: bytes,
    amount: str,
    *more: tuple[str, str],
) -> None:
    ctx.emit(
        kind,
        ("validator", encode_validator_address(operator)),
        ("delegator", encode_address(delegator)),
        ("amount", amount),
        *more,
    )


def emit_redelegate(
    ctx: Context, source: bytes, destination: bytes, amount: str, completion_height: int
) -> None:
    ctx.emit(
        "redelegate",
        ("source_validator", encode_validator_address(source)),
        ("destination_validator", encode_validator_address(destination)),
        ("amount", amount),
        ("completion_height", str(completion_height)),
    )


def emit_complete_unbonding(ctx: Context, operator: bytes, delegator: bytes, amount: str) -> None:
    _emit_delegation(ctx, "complete_unbonding", operator, delegator, amount)


def emit_complete_redelegation(
    ctx: Context, source: bytes, destination: bytes, delegator: bytes
) -> None:
    ctx.emit(
        "complete_redelegation",
        ("source_validator", encode_validator_address(source)),
        ("destination_validator", encode_validator_address(destination)),
        ("delegator", encode_address(delegator)),
    )


def emit_validator_status(ctx: Context, operator: bytes, status: str) -> None:
    ctx.emit(
        "validator_status", ("validator", encode_validator_address(operator)), ("status", status)
    )


def emit_slash(ctx: Context, operator: bytes, infraction_height: int, burned: int) -> None:
    ctx.emit(
        "slash",
        ("validator", encode_validator_address(operator)),
        ("infraction_height", str(infraction_height)),
        ("burned", str(burned)),
    )
