"""Stateless checks of slashing messages."""

from __future__ import annotations

from chain.msgs import operator_account, validator_address
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2


def validate_unjail(msg: tx_pb2.MsgUnjail) -> None:
    validator_address(msg.validator_addr, "validator_addr")


def unjail_signer(msg: tx_pb2.MsgUnjail) -> str:
    """The operator signs with its account key: same 20 bytes, account prefix."""
    return operator_account(msg.validator_addr, "validator_addr")
