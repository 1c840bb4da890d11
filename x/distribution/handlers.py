"""One function per distribution message: ordered checks, then one keeper call."""

from __future__ import annotations

from chain.coins import Coins
from chain.context import Context
from chain.msgs import account_address, validator_address
from chain.pb.cosmos.distribution.v1beta1 import tx_pb2
from x.distribution.keeper import DistributionKeeper


def handle_withdraw_delegator_reward(
    ctx: Context, keeper: DistributionKeeper, msg: tx_pb2.MsgWithdrawDelegatorReward
) -> tx_pb2.MsgWithdrawDelegatorRewardResponse:
    """Raises UNKNOWN_VALIDATOR, NO_DELEGATION. Nothing pending is not an error (as in
    Cosmos SDK): the response's amount is then empty."""
    delegator = account_address(msg.delegator_address, "delegator_address")
    operator = validator_address(msg.validator_address, "validator_address")
    keeper.require_delegation(ctx.store, delegator, operator)
    amount = keeper.withdraw_rewards(ctx, delegator, operator)
    return tx_pb2.MsgWithdrawDelegatorRewardResponse(
        amount=Coins.single(keeper.denom(ctx.store), amount).to_pb()
    )


def handle_withdraw_validator_commission(
    ctx: Context, keeper: DistributionKeeper, msg: tx_pb2.MsgWithdrawValidatorCommission
) -> tx_pb2.MsgWithdrawValidatorCommissionResponse:
    """Raises UNKNOWN_VALIDATOR, NO_VALIDATOR_COMMISSION."""
    operator = validator_address(msg.validator_address, "validator_address")
    amount = keeper.withdraw_commission(ctx, operator)
    return tx_pb2.MsgWithdrawValidatorCommissionResponse(
        amount=Coins.single(keeper.denom(ctx.store), amount).to_pb()
    )
