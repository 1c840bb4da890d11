"""Stateless checks of distribution messages: well-formed addresses."""

from __future__ import annotations

from chain.crypto import AddressError, decode_address, decode_validator_address, encode_address
from chain.errors import INVALID_ADDRESS
from chain.pb.cosmos.distribution.v1beta1 import tx_pb2


def account(text: str, field: str) -> bytes:
    try:
        return decode_address(text)
    except AddressError as error:
        raise INVALID_ADDRESS(f"{field} {text!r}: {error}") from None


def operator(text: str, field: str) -> bytes:
    try:
        return decode_validator_address(text)
    except AddressError as error:
        raise INVALID_ADDRESS(f"{field} {text!r}: {error}") from None


def validate_withdraw_delegator_reward(msg: tx_pb2.MsgWithdrawDelegatorReward) -> None:
    account(msg.delegator_address, "delegator_address")
    operator(msg.validator_address, "validator_address")


def validate_withdraw_validator_commission(msg: tx_pb2.MsgWithdrawValidatorCommission) -> None:
    operator(msg.validator_address, "validator_address")


def delegator_signer(msg: tx_pb2.MsgWithdrawDelegatorReward) -> str:
    return msg.delegator_address


def operator_signer(msg: tx_pb2.MsgWithdrawValidatorCommission) -> str:
    """The operator signs with its account key: same bytes, account prefix."""
    return encode_address(decode_validator_address(msg.validator_address))
