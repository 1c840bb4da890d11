"""Stateless checks of slashing messages."""

from __future__ import annotations

from chain.crypto import AddressError, decode_validator_address, encode_address
from chain.errors import INVALID_ADDRESS
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2


def operator(text: str, field: str) -> bytes:
    """Parse a `gpuvaloper1…` address; raises INVALID_ADDRESS naming the field."""
    try:
        return decode_validator_address(text)
    except AddressError as error:
        raise INVALID_ADDRESS(f"{field} {text!r}: {error}") from None


def validate_unjail(msg: tx_pb2.MsgUnjail) -> None:
    operator(msg.validator_addr, "validator_addr")


def unjail_signer(msg: tx_pb2.MsgUnjail) -> str:
    """The operator signs with its account key: same 20 bytes, account prefix."""
    return encode_address(decode_validator_address(msg.validator_addr))
