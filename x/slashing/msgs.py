"""Stateless checks of slashing messages."""

from __future__ import annotations

from chain.msgs import signed_by_operator, validator_address
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2


def validate_unjail(msg: tx_pb2.MsgUnjail) -> None:
    validator_address(msg.validator_addr, "validator_addr")


unjail_signer = signed_by_operator("validator_addr")


def unjail_msg(validator: str) -> tx_pb2.MsgUnjail:
    """Ask to be bonded again once the jail time is over (validator: gpuvaloper1…)."""
    return tx_pb2.MsgUnjail(validator_addr=validator)
