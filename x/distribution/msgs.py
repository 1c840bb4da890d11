"""Stateless checks of distribution messages: well-formed addresses."""

from __future__ import annotations

from chain.msgs import account_address, operator_account, validator_address
from chain.pb.cosmos.distribution.v1beta1 import tx_pb2


def validate_withdraw_delegator_reward(msg: tx_pb2.MsgWithdrawDelegatorReward) -> None:
    account_address(msg.delegator_address, "delegator_address")
    validator_address(msg.validator_address, "validator_address")


def validate_withdraw_validator_commission(msg: tx_pb2.MsgWithdrawValidatorCommission) -> None:
    validator_address(msg.validator_address, "validator_address")


def delegator_signer(msg: tx_pb2.MsgWithdrawDelegatorReward) -> str:
    return msg.delegator_address


def operator_signer(msg: tx_pb2.MsgWithdrawValidatorCommission) -> str:
    """The operator signs with its account key: same bytes, account prefix."""
    return operator_account(msg.validator_address, "validator_address")
