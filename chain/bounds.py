"""Bounds every decoded protobuf message meets, whatever its type.

One walk over every field of every message a tx carries, so a message type added later
is covered without code of its own: no unknown fields (a signature must cover only what
the chain reads), no string or bytes field longer than `MAX_FIELD_BYTES`, no repeated
field longer than `MAX_REPEATED_ITEMS` (`MAX_COINS` for coin lists), and every
`cosmos.base.v1beta1.Coin` a valid denom with an amount of at most 2^256-1. Integer
fields are bounded by their wire type already; where a value must fit a narrower type
(gas in CometBFT's int64 fields) the envelope check says so. Module `validate_basic`
functions run after this, on values already known to be of sane size.
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.unknown_fields import UnknownFieldSet

from chain.coins import parse_amount, validate_denom
from chain.errors import INVALID_COINS, INVALID_REQUEST, TX_DECODE, AppError
from chain.pb.cosmos.base.v1beta1 import coin_pb2

MAX_FIELD_BYTES = 4096
MAX_REPEATED_ITEMS = 256
MAX_COINS = 32
_COIN_TYPE = coin_pb2.Coin.DESCRIPTOR.full_name


def reject_unknown_fields(message: Message, path: str) -> None:
    """Raises TX_DECODE when message carries a field its type does not declare."""
    if len(UnknownFieldSet(message)):
        raise TX_DECODE(f"{path} has fields {message.DESCRIPTOR.full_name} does not declare")


def check_message_bounds(message: Message, path: str) -> None:
    """Check message and everything nested in it; raises TX_DECODE, INVALID_REQUEST or
    INVALID_COINS naming the field path."""
    reject_unknown_fields(message, path)
    if message.DESCRIPTOR.full_name == _COIN_TYPE:
        _check_coin(message, path)
    for field, value in message.ListFields():
        field_path = f"{path}.{field.name}"
        if field.is_repeated:
            limit = MAX_COINS if _is_coin_field(field) else MAX_REPEATED_ITEMS
            if len(value) > limit:
                raise INVALID_REQUEST(f"{field_path} has {len(value)} entries, limit {limit}")
            for index, item in enumerate(value):
                _check_value(field, item, f"{field_path}[{index}]")
        else:
            _check_value(field, value, field_path)


def _is_coin_field(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.full_name == _COIN_TYPE


def _check_value(field: FieldDescriptor, value: object, path: str) -> None:
    if isinstance(value, Message):
        check_message_bounds(value, path)
    elif isinstance(value, str):
        size = len(value.encode())
        if size > MAX_FIELD_BYTES:
            raise INVALID_REQUEST(f"{path} is {size} bytes, limit {MAX_FIELD_BYTES}")
    elif isinstance(value, bytes) and len(value) > MAX_FIELD_BYTES:
        raise INVALID_REQUEST(f"{path} is {len(value)} bytes, limit {MAX_FIELD_BYTES}")


def _check_coin(coin: Message, path: str) -> None:
    try:
        validate_denom(getattr(coin, "denom", ""))
    except AppError as error:
        raise INVALID_COINS(f"{path}.denom: {error.detail}") from None
    parse_amount(getattr(coin, "amount", ""), f"{path}.amount")
