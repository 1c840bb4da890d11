"""Stateless checks that every module's messages share: addresses, named by their field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chain.crypto import (
    AddressError,
    decode_address,
    decode_consensus_address,
    decode_validator_address,
    encode_address,
)
from chain.errors import INVALID_ADDRESS


def account_address(text: str, field: str) -> bytes:
    """A `gpu1…` account address; raises INVALID_ADDRESS naming the field and the fault."""
    return _decoded(decode_address, text, field)


def validator_address(text: str, field: str) -> bytes:
    """A `gpuvaloper1…` operator address; raises INVALID_ADDRESS naming the field."""
    return _decoded(decode_validator_address, text, field)


def consensus_address(text: str, field: str) -> bytes:
    """A `gpuvalcons1…` consensus address; raises INVALID_ADDRESS naming the field."""
    return _decoded(decode_consensus_address, text, field)


def _decoded(decode: Callable[[str], bytes], text: str, field: str) -> bytes:
    try:
        return decode(text)
    except AddressError as error:
        raise INVALID_ADDRESS(f"{field} {text!r}: {error}") from None


def operator_account(text: str, field: str) -> str:
    """The account (`gpu1…`) that signs for operator address `text`: the same 20 bytes.
    Raises INVALID_ADDRESS naming the field, so a signer lookup never fails unexpectedly."""
    return encode_address(validator_address(text, field))


def signed_by_operator(field: str) -> Callable[[Any], str]:
    """A message signer for messages only a validator's operator may send: the account
    (`gpu1…`) with the same 20 bytes as the operator address in `field`."""

    def signer(msg: Any) -> str:
        return operator_account(getattr(msg, field), field)

    return signer
