"""Stateless checks of slashing messages."""

from __future__ import annotations

from chain.crypto import decode_validator_address, encode_address
from chain.msgs import validator_address
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2


def validate_unjail(msg: tx_pb2.MsgUnjail) -> None:
    validator_address(msg.validator_addr, "validator_addr")


def unjail_signer(msg: tx_pb2.MsgUnjail) -> str:
    """The operator signs with its account key: same 20 bytes, account prefix."""
    return encode_address(decode_validator_address(msg.validator_addr))
