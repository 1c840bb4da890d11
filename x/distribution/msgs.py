"""Stateless checks of distribution messages: well-formed addresses."""

from __future__ import annotations

from chain.msgs import account_address, signed_by_operator, validator_address
from chain.pb.cosmos.distribution.v1beta1 import tx_pb2


def validate_withdraw_delegator_reward(msg: tx_pb2.MsgWithdrawDelegatorReward) -> None:
    account_address(msg.delegator_address, "delegator_address")
    validator_address(msg.validator_address, "validator_address")


def validate_withdraw_validator_commission(msg: tx_pb2.MsgWithdrawValidatorCommission) -> None:
    validator_address(msg.validator_address, "validator_address")


def delegator_signer(msg: tx_pb2.MsgWithdrawDelegatorReward) -> str:
    return msg.delegator_address


operator_signer = signed_by_operator("validator_address")


def withdraw_rewards_msg(delegator: str, validator: str) -> tx_pb2.MsgWithdrawDelegatorReward:
    return tx_pb2.MsgWithdrawDelegatorReward(
        delegator_address=delegator, validator_address=validator
    )


def withdraw_commission_msg(validator: str) -> tx_pb2.MsgWithdrawValidatorCommission:
    return tx_pb2.MsgWithdrawValidatorCommission(validator_address=validator)
