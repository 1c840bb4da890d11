"""Builders for staking messages in tests: validators from fixed seeds."""

from __future__ import annotations

from chain.coins import Coin
from chain.crypto import PrivateKey, address_from_pubkey, encode_validator_address
from chain.pb.cosmos.staking.v1beta1 import staking_pb2, tx_pb2
from x.staking.msgs import create_validator_msg, delegate_msg, redelegate_msg, undelegate_msg


def consensus_key(seed: int) -> PrivateKey:
    return PrivateKey(bytes([seed]) * 32)


def consensus_address(key: PrivateKey) -> bytes:
    return address_from_pubkey(key.public_key)


def create_validator(
    operator: PrivateKey,
    consensus: PrivateKey | bytes,
    amount: int,
    *,
    rate: str = "0.10",
    max_rate: str = "0.20",
    max_change: str = "0.01",
    min_self: str = "1",
    moniker: str = "v",
) -> tx_pb2.MsgCreateValidator:
    pubkey = consensus.public_key if isinstance(consensus, PrivateKey) else consensus
    return create_validator_msg(
        operator.address,
        pubkey,
        Coin("ugpc", amount),
        staking_pb2.Description(moniker=moniker),
        (rate, max_rate, max_change),
        min_self,
    )


def valoper(key: PrivateKey) -> str:
    return encode_validator_address(key.address)


def delegate(delegator: PrivateKey, operator: PrivateKey, amount: int) -> tx_pb2.MsgDelegate:
    return delegate_msg(delegator.bech32_address, valoper(operator), Coin("ugpc", amount))


def undelegate(delegator: PrivateKey, operator: PrivateKey, amount: int) -> tx_pb2.MsgUndelegate:
    return undelegate_msg(delegator.bech32_address, valoper(operator), Coin("ugpc", amount))


def redelegate(
    delegator: PrivateKey, source: PrivateKey, destination: PrivateKey, amount: int
) -> tx_pb2.MsgBeginRedelegate:
    return redelegate_msg(
        delegator.bech32_address, valoper(source), valoper(destination), Coin("ugpc", amount)
    )
