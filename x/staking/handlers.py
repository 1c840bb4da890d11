"""One function per staking message: ordered checks, then keeper calls."""

from __future__ import annotations

from chain.context import Context
from chain.crypto import address_from_pubkey
from chain.msgs import account_address, validator_address
from chain.pb.cosmos.staking.v1beta1 import tx_pb2
from x.staking import events, keys, msgs
from x.staking.errors import (
    COMMISSION_CHANGE,
    INVALID_AMOUNT,
    INVALID_COMMISSION,
    MIN_SELF_DELEGATION,
    PUBKEY_IN_USE,
    VALIDATOR_EXISTS,
)
from x.staking.keeper import StakingKeeper
from x.staking.types import Commission, Validator, parse_rate

DAY_NS = 24 * 3600 * 1_000_000_000


def _bond_amount(ctx: Context, keeper: StakingKeeper, coin_amount: int, denom: str) -> int:
    bond_denom = keeper.params(ctx.store).bond_denom
    if denom != bond_denom:
        raise INVALID_AMOUNT(f"stake is bonded in {bond_denom}, not {denom}")
    return coin_amount


def handle_create_validator(
    ctx: Context, keeper: StakingKeeper, msg: tx_pb2.MsgCreateValidator
) -> tx_pb2.MsgCreateValidatorResponse:
    """Raises VALIDATOR_EXISTS, PUBKEY_IN_USE, INVALID_AMOUNT, INSUFFICIENT_FUNDS."""
    operator = validator_address(msg.validator_address, "validator_address")
    pubkey = msgs.consensus_pubkey(msg)
    if keeper.validator(ctx.store, operator) is not None:
        raise VALIDATOR_EXISTS(msg.validator_address)
    if ctx.store.get(keys.consensus_key(address_from_pubkey(pubkey))) is not None:
        raise PUBKEY_IN_USE("another validator signs with this consensus key")
    rate, max_rate, max_change = msgs.commission_rates(msg)
    amount = _bond_amount(ctx, keeper, msgs.positive_amount(msg.value, "value"), msg.value.denom)
    validator = Validator(
        operator=operator,
        consensus_pubkey=pubkey,
        moniker=msg.description.moniker,
        commission=Commission(rate, max_rate, max_change, ctx.block_time_ns),
        min_self_delegation=int(msg.min_self_delegation or "1"),
        details={
            "identity": msg.description.identity,
            "website": msg.description.website,
            "details": msg.description.details,
        },
    )
    keeper.set_validator(ctx.store, validator)
    for hook in keeper.hooks:
        hook.after_validator_created(ctx, operator)
    keeper.delegate(ctx, operator, operator, amount)
    events.emit_create_validator(ctx, msg.validator_address, f"{amount}{msg.value.denom}")
    return tx_pb2.MsgCreateValidatorResponse()


def handle_edit_validator(
    ctx: Context, keeper: StakingKeeper, msg: tx_pb2.MsgEditValidator
) -> tx_pb2.MsgEditValidatorResponse:
    """Raises UNKNOWN_VALIDATOR, COMMISSION_CHANGE, MIN_SELF_DELEGATION."""
    operator = validator_address(msg.validator_address, "validator_address")
    validator = keeper.require_validator(ctx.store, operator)
    commission = validator.commission
    if msg.commission_rate:
        rate = parse_rate(msg.commission_rate, "commission_rate", INVALID_COMMISSION)
        if ctx.block_time_ns - commission.update_time_ns < DAY_NS:
            raise COMMISSION_CHANGE("commission may change at most once per 24 hours")
        if rate > commission.max_rate:
            raise COMMISSION_CHANGE("new rate exceeds the validator's max_rate")
        if abs(rate - commission.rate) > commission.max_change_rate:
            raise COMMISSION_CHANGE("change exceeds the validator's max_change_rate")
        commission = Commission(
            rate, commission.max_rate, commission.max_change_rate, ctx.block_time_ns
        )
    minimum = validator.min_self_delegation
    if msg.min_self_delegation:
        minimum = int(msg.min_self_delegation)
        if minimum <= validator.min_self_delegation:
            raise MIN_SELF_DELEGATION("the minimum self delegation can only increase")
        own = validator.tokens_for_shares(keeper.delegation_shares(ctx.store, operator, operator))
        if minimum > own:
            raise MIN_SELF_DELEGATION(f"the minimum {minimum} exceeds the self delegation {own}")
    keeper.set_validator(
        ctx.store,
        validator.with_(
            commission=commission,
            min_self_delegation=minimum,
            moniker=msg.description.moniker or validator.moniker,
        ),
    )
    events.emit_edit_validator(ctx, msg.validator_address)
    return tx_pb2.MsgEditValidatorResponse()


def handle_delegate(
    ctx: Context, keeper: StakingKeeper, msg: tx_pb2.MsgDelegate
) -> tx_pb2.MsgDelegateResponse:
    """Raises UNKNOWN_VALIDATOR, INVALID_AMOUNT, INSUFFICIENT_FUNDS."""
    keeper.delegate(ctx, *_delegation(ctx, keeper, msg))
    return tx_pb2.MsgDelegateResponse()


def handle_undelegate(
    ctx: Context, keeper: StakingKeeper, msg: tx_pb2.MsgUndelegate
) -> tx_pb2.MsgUndelegateResponse:
    """Raises UNKNOWN_VALIDATOR, INSUFFICIENT_SHARES, TOO_MANY_ENTRIES."""
    keeper.undelegate(ctx, *_delegation(ctx, keeper, msg))
    return tx_pb2.MsgUndelegateResponse()


def _delegation(
    ctx: Context, keeper: StakingKeeper, msg: tx_pb2.MsgDelegate | tx_pb2.MsgUndelegate
) -> tuple[bytes, bytes, int]:
    """(delegator, operator, amount in the bond denom) of a delegate or undelegate message."""
    amount = _bond_amount(ctx, keeper, msgs.positive_amount(msg.amount, "amount"), msg.amount.denom)
    return (
        account_address(msg.delegator_address, "delegator_address"),
        validator_address(msg.validator_address, "validator_address"),
        amount,
    )


def handle_redelegate(
    ctx: Context, keeper: StakingKeeper, msg: tx_pb2.MsgBeginRedelegate
) -> tx_pb2.MsgBeginRedelegateResponse:
    """Raises UNKNOWN_VALIDATOR, INSUFFICIENT_SHARES, TOO_MANY_ENTRIES and
    TRANSITIVE_REDELEGATION (the stake reached the source by a redelegation in transit)."""
    amount = _bond_amount(ctx, keeper, msgs.positive_amount(msg.amount, "amount"), msg.amount.denom)
    keeper.redelegate(
        ctx,
        account_address(msg.delegator_address, "delegator_address"),
        validator_address(msg.validator_src_address, "validator_src_address"),
        validator_address(msg.validator_dst_address, "validator_dst_address"),
        amount,
    )
    return tx_pb2.MsgBeginRedelegateResponse()
