"""Builders for staking messages in tests: validators from fixed seeds."""

from __future__ import annotations

from chain.crypto import PrivateKey, address_from_pubkey, encode_validator_address
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.staking.v1beta1 import staking_pb2, tx_pb2
from x.staking.msgs import create_validator_msg


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
        coin_pb2.Coin(denom="ugpc", amount=str(amount)),
        staking_pb2.Description(moniker=moniker),
        (rate, max_rate, max_change),
        min_self,
    )


def delegate(delegator: PrivateKey, operator: PrivateKey, amount: int) -> tx_pb2.MsgDelegate:
    return tx_pb2.MsgDelegate(
        delegator_address=delegator.bech32_address,
        validator_address=encode_validator_address(operator.address),
        amount=coin_pb2.Coin(denom="ugpc", amount=str(amount)),
    )


def undelegate(delegator: PrivateKey, operator: PrivateKey, amount: int) -> tx_pb2.MsgUndelegate:
    return tx_pb2.MsgUndelegate(
        delegator_address=delegator.bech32_address,
        validator_address=encode_validator_address(operator.address),
        amount=coin_pb2.Coin(denom="ugpc", amount=str(amount)),
    )


def redelegate(
    delegator: PrivateKey, source: PrivateKey, destination: PrivateKey, amount: int
) -> tx_pb2.MsgBeginRedelegate:
    return tx_pb2.MsgBeginRedelegate(
        delegator_address=delegator.bech32_address,
        validator_src_address=encode_validator_address(source.address),
        validator_dst_address=encode_validator_address(destination.address),
        amount=coin_pb2.Coin(denom="ugpc", amount=str(amount)),
    )
