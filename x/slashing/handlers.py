"""One function per slashing message: ordered checks, then one keeper call."""

from __future__ import annotations

from chain.context import Context
from chain.crypto import encode_validator_address
from chain.msgs import validator_address
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2
from x.slashing.errors import (
    MISSING_SELF_DELEGATION,
    NOT_JAILED,
    SELF_DELEGATION_TOO_LOW,
    STILL_JAILED,
    TOMBSTONED,
    UNKNOWN_VALIDATOR,
)
from x.slashing.keeper import SlashingKeeper


def handle_unjail(
    ctx: Context, keeper: SlashingKeeper, msg: tx_pb2.MsgUnjail
) -> tx_pb2.MsgUnjailResponse:
    """Raises UNKNOWN_VALIDATOR, NOT_JAILED, TOMBSTONED, STILL_JAILED (before jailed_until),
    MISSING_SELF_DELEGATION and SELF_DELEGATION_TOO_LOW (below min_self_delegation).

    A jailed validator without signing info never voted: it was jailed for dropping below
    its minimum self delegation, and may return as soon as it is above it again (as Cosmos).
    """
    operator = validator_address(msg.validator_addr, "validator_addr")
    validator = keeper.staking.validator(ctx.store, operator)
    if validator is None:
        raise UNKNOWN_VALIDATOR(msg.validator_addr)
    if not validator.jailed:
        raise NOT_JAILED(msg.validator_addr)
    info = keeper.signing_info(ctx.store, keeper.consensus_address(validator))
    if info is not None and info.tombstoned:
        raise TOMBSTONED(msg.validator_addr)
    if info is not None and ctx.height < info.jailed_until:
        raise STILL_JAILED(
            f"{msg.validator_addr} is jailed until height {info.jailed_until}, "
            f"this is height {ctx.height}"
        )
    shares = keeper.staking.delegation_shares(ctx.store, operator, operator)
    if not shares:
        raise MISSING_SELF_DELEGATION(msg.validator_addr)
    own = validator.tokens_for_shares(shares)
    if own < validator.min_self_delegation:
        raise SELF_DELEGATION_TOO_LOW(
            f"{encode_validator_address(operator)} self delegation {own} is below its minimum "
            f"{validator.min_self_delegation}"
        )
    keeper.unjail(ctx, validator)
    return tx_pb2.MsgUnjailResponse()
