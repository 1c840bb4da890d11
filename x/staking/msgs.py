"""Stateless checks of staking messages."""

from __future__ import annotations

from google.protobuf import any_pb2
from google.protobuf.message import DecodeError

from chain.coins import Coin, parse_amount, validate_denom
from chain.crypto import (
    PUBKEY_LENGTH,
    PUBKEY_TYPE_URL,
    encode_validator_address,
)
from chain.msgs import account_address, signed_by_operator, validator_address
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.crypto.ed25519 import keys_pb2
from chain.pb.cosmos.staking.v1beta1 import staking_pb2, tx_pb2
from x.staking.errors import (
    INVALID_AMOUNT,
    INVALID_COMMISSION,
    INVALID_DESCRIPTION,
    INVALID_PUBKEY,
    SELF_DELEGATION_TOO_LOW,
    SELF_REDELEGATION,
)
from x.staking.types import RATE_ONE, parse_rate

MAX_MONIKER_LENGTH = 70
DEFAULT_COMMISSION = ("0.10", "0.20", "0.01")  # rate, max rate, max daily change


def create_validator_msg(
    operator: bytes,
    pubkey: bytes,
    value: Coin,
    description: staking_pb2.Description,
    commission: tuple[str, str, str] = DEFAULT_COMMISSION,
    min_self_delegation: str = "1",
) -> tx_pb2.MsgCreateValidator:
    """A MsgCreateValidator bonding value from operator's account to the ed25519 consensus
    key pubkey: the one builder that gentxs, `tx staking create-validator` and tests share."""
    rate, max_rate, max_change_rate = commission
    return tx_pb2.MsgCreateValidator(
        description=description,
        commission=staking_pb2.CommissionRates(
            rate=rate, max_rate=max_rate, max_change_rate=max_change_rate
        ),
        min_self_delegation=min_self_delegation,
        validator_address=encode_validator_address(operator),
        pubkey=any_pb2.Any(
            type_url=PUBKEY_TYPE_URL, value=keys_pb2.PubKey(key=pubkey).SerializeToString()
        ),
        value=value.to_pb(),
    )


def edit_validator_msg(
    validator: str, moniker: str = "", commission_rate: str = "", min_self_delegation: str = ""
) -> tx_pb2.MsgEditValidator:
    """Change what is given (an empty field keeps the validator's current value)."""
    return tx_pb2.MsgEditValidator(
        description=staking_pb2.Description(moniker=moniker),
        validator_address=validator,
        commission_rate=commission_rate,
        min_self_delegation=min_self_delegation,
    )


def delegate_msg(delegator: str, validator: str, amount: Coin) -> tx_pb2.MsgDelegate:
    return tx_pb2.MsgDelegate(
        delegator_address=delegator, validator_address=validator, amount=amount.to_pb()
    )


def undelegate_msg(delegator: str, validator: str, amount: Coin) -> tx_pb2.MsgUndelegate:
    return tx_pb2.MsgUndelegate(
        delegator_address=delegator, validator_address=validator, amount=amount.to_pb()
    )


def redelegate_msg(
    delegator: str, source: str, destination: str, amount: Coin
) -> tx_pb2.MsgBeginRedelegate:
    return tx_pb2.MsgBeginRedelegate(
        delegator_address=delegator,
        validator_src_address=source,
        validator_dst_address=destination,
        amount=amount.to_pb(),
    )


def positive_amount(coin: coin_pb2.Coin, field: str) -> int:
    validate_denom(coin.denom)
    amount = parse_amount(coin.amount, field)
    if amount <= 0:
        raise INVALID_AMOUNT(f"{field} must be positive")
    return amount


def consensus_pubkey(msg: tx_pb2.MsgCreateValidator) -> bytes:
    if msg.pubkey.type_url != PUBKEY_TYPE_URL:
        raise INVALID_PUBKEY(f"consensus key type {msg.pubkey.type_url!r} is not ed25519")
    try:
        key = keys_pb2.PubKey.FromString(msg.pubkey.value).key
    except DecodeError:
        raise INVALID_PUBKEY("consensus key is not a valid ed25519 PubKey") from None
    if len(key) != PUBKEY_LENGTH:
        raise INVALID_PUBKEY(f"consensus key is {len(key)} bytes, expected {PUBKEY_LENGTH}")
    return key


def commission_rates(msg: tx_pb2.MsgCreateValidator) -> tuple[int, int, int]:
    rates = msg.commission
    rate = parse_rate(rates.rate, "commission.rate", INVALID_COMMISSION)
    max_rate = parse_rate(rates.max_rate, "commission.max_rate", INVALID_COMMISSION)
    max_change = parse_rate(rates.max_change_rate, "commission.max_change_rate", INVALID_COMMISSION)
    if max_rate > RATE_ONE:
        raise INVALID_COMMISSION("commission.max_rate cannot exceed 1")
    if rate > max_rate:
        raise INVALID_COMMISSION("commission.rate cannot exceed commission.max_rate")
    if max_change > max_rate:
        raise INVALID_COMMISSION("commission.max_change_rate cannot exceed commission.max_rate")
    return rate, max_rate, max_change


def validate_create_validator(msg: tx_pb2.MsgCreateValidator) -> None:
    validator_address(msg.validator_address, "validator_address")
    if msg.delegator_address:
        account_address(msg.delegator_address, "delegator_address")
    consensus_pubkey(msg)
    commission_rates(msg)
    if not 0 < len(msg.description.moniker) <= MAX_MONIKER_LENGTH:
        raise INVALID_DESCRIPTION(f"moniker must have 1..{MAX_MONIKER_LENGTH} characters")
    minimum = parse_amount(msg.min_self_delegation or "1", "min_self_delegation")
    value = positive_amount(msg.value, "value")
    if minimum <= 0:
        raise INVALID_AMOUNT("min_self_delegation must be positive")
    if value < minimum:
        raise SELF_DELEGATION_TOO_LOW(
            f"self delegation {value} is below the declared minimum {minimum}"
        )


def validate_edit_validator(msg: tx_pb2.MsgEditValidator) -> None:
    validator_address(msg.validator_address, "validator_address")
    if msg.commission_rate:
        parse_rate(msg.commission_rate, "commission_rate", INVALID_COMMISSION)
    if msg.min_self_delegation:
        parse_amount(msg.min_self_delegation, "min_self_delegation")
    if len(msg.description.moniker) > MAX_MONIKER_LENGTH:
        raise INVALID_DESCRIPTION(f"moniker must have at most {MAX_MONIKER_LENGTH} characters")


def validate_delegate(msg: tx_pb2.MsgDelegate | tx_pb2.MsgUndelegate) -> None:
    account_address(msg.delegator_address, "delegator_address")
    validator_address(msg.validator_address, "validator_address")
    positive_amount(msg.amount, "amount")


def validate_redelegate(msg: tx_pb2.MsgBeginRedelegate) -> None:
    account_address(msg.delegator_address, "delegator_address")
    source = validator_address(msg.validator_src_address, "validator_src_address")
    destination = validator_address(msg.validator_dst_address, "validator_dst_address")
    if source == destination:
        raise SELF_REDELEGATION(msg.validator_src_address)
    positive_amount(msg.amount, "amount")


operator_signer = signed_by_operator("validator_address")


def delegator_signer(
    msg: tx_pb2.MsgDelegate | tx_pb2.MsgUndelegate | tx_pb2.MsgBeginRedelegate,
) -> str:
    return msg.delegator_address
