"""The transaction envelope, wire-compatible with Cosmos SDK (TxRaw, SIGN_MODE_DIRECT).

A transaction is a `TxRaw`: body bytes, auth-info bytes and one signature (secp256k1 or
ed25519) over `SignDoc{body_bytes, auth_info_bytes, chain_id, account_number}`. Binding the chain id
and account number stops a signature from being replayed on another chain or account;
the sequence in the signer info stops it from being replayed on this one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message

from chain.bounds import check_message_bounds, reject_unknown_fields
from chain.coins import Coin, Coins, parse_amount
from chain.crypto import PrivateKey, PublicKey, public_key_of_type
from chain.errors import (
    INVALID_GAS_LIMIT,
    INVALID_PUBKEY,
    INVALID_REQUEST,
    NO_SIGNATURES,
    TOO_MANY_SIGNATURES,
    TX_DECODE,
    TX_TOO_LARGE,
    UNKNOWN_REQUEST,
)
from chain.pb.cosmos.crypto.secp256k1 import keys_pb2 as secp256k1_keys_pb2
from chain.pb.cosmos.tx.signing.v1beta1 import signing_pb2
from chain.pb.cosmos.tx.v1beta1 import tx_pb2

MessageRegistry = Mapping[str, type[Message]]
# Where a node estimates a tx's gas (ABCI Query, gRPC and REST alike), as in Cosmos.
SIMULATE_PATH = "/cosmos.tx.v1beta1.Service/Simulate"
# CometBFT reports gas in int64 fields (ResponseCheckTx, ExecTxResult); a uint64 gas
# limit above this could not be answered at all.
MAX_GAS_LIMIT = 2**63 - 1


@dataclass(frozen=True)
class DecodedTx:
    """A transaction after stateless decoding: every field a later check needs, typed."""

    raw: bytes
    body_bytes: bytes
    auth_info_bytes: bytes
    signature: bytes
    messages: tuple[Message, ...]
    type_urls: tuple[str, ...]
    public_key: PublicKey
    sequence: int
    fee: Coins
    gas_limit: int
    memo: str
    timeout_height: int


def tx_hash(raw: bytes) -> str:
    """The hash CometBFT indexes a transaction under (upper-case hex sha256)."""
    return hashlib.sha256(raw).hexdigest().upper()


def sign_bytes(
    body_bytes: bytes, auth_info_bytes: bytes, chain_id: str, account_number: int
) -> bytes:
    return tx_pb2.SignDoc(
        body_bytes=body_bytes,
        auth_info_bytes=auth_info_bytes,
        chain_id=chain_id,
        account_number=account_number,
    ).SerializeToString()


def _parse(message: Message, data: bytes, what: str) -> None:
    try:
        message.ParseFromString(data)
    except DecodeError as error:
        raise TX_DECODE(f"{what} is not valid protobuf ({error})") from None


def decode_tx(raw: bytes, registry: MessageRegistry, max_tx_bytes: int) -> DecodedTx:
    """Decode and check the envelope's shape and bounds (not the messages' contents, which
    `check_message_bounds` and each module's validate_basic check after the signature).

    Raises TX_TOO_LARGE, TX_DECODE, UNKNOWN_REQUEST, NO_SIGNATURES, TOO_MANY_SIGNATURES,
    INVALID_PUBKEY, INVALID_GAS_LIMIT, INVALID_REQUEST (a fee payer or granter named, or a
    field past its bound) and INVALID_COINS (a malformed fee).
    """
    if len(raw) > max_tx_bytes:
        raise TX_TOO_LARGE(f"tx is {len(raw)} bytes, limit {max_tx_bytes}")
    envelope = tx_pb2.TxRaw()
    _parse(envelope, raw, "tx")
    reject_unknown_fields(envelope, "tx")
    body = tx_pb2.TxBody()
    _parse(body, envelope.body_bytes, "tx body")
    reject_unknown_fields(body, "tx body")
    auth_info = tx_pb2.AuthInfo()
    _parse(auth_info, envelope.auth_info_bytes, "tx auth info")
    check_message_bounds(auth_info, "auth_info")
    _refuse_third_party_fees(auth_info.fee)
    if auth_info.fee.gas_limit > MAX_GAS_LIMIT:
        raise INVALID_GAS_LIMIT(f"gas limit {auth_info.fee.gas_limit} exceeds 2^63-1")
    if not body.messages:
        raise TX_DECODE("tx contains no messages")
    if body.extension_options or body.non_critical_extension_options:
        raise UNKNOWN_REQUEST("tx extension options are not supported")
    if not envelope.signatures:
        raise NO_SIGNATURES("tx has no signature")
    if len(envelope.signatures) > 1 or len(auth_info.signer_infos) != 1:
        raise TOO_MANY_SIGNATURES(
            f"tx has {len(envelope.signatures)} signatures and "
            f"{len(auth_info.signer_infos)} signer infos; exactly one of each is supported"
        )
    signer = auth_info.signer_infos[0]
    if signer.mode_info.single.mode != signing_pb2.SIGN_MODE_DIRECT:
        raise UNKNOWN_REQUEST("only SIGN_MODE_DIRECT signatures are supported")
    public_key = _public_key(signer.public_key)
    messages = []
    for index, packed in enumerate(body.messages):
        message_class = registry.get(packed.type_url)
        if message_class is None:
            raise UNKNOWN_REQUEST(f"message {index} has unknown type {packed.type_url!r}")
        message = message_class()
        _parse(message, packed.value, f"message {index} ({packed.type_url})")
        messages.append(message)
    fee = Coins.of(
        Coin(coin.denom, parse_amount(coin.amount, "fee amount")) for coin in auth_info.fee.amount
    )
    return DecodedTx(
        raw=raw,
        body_bytes=envelope.body_bytes,
        auth_info_bytes=envelope.auth_info_bytes,
        signature=envelope.signatures[0],
        messages=tuple(messages),
        type_urls=tuple(packed.type_url for packed in body.messages),
        public_key=public_key,
        sequence=signer.sequence,
        fee=fee,
        gas_limit=auth_info.fee.gas_limit,
        memo=body.memo,
        timeout_height=body.timeout_height,
    )


def _public_key(packed: any_pb2.Any) -> PublicKey:
    """The signer's key from its Any; both Cosmos key types wrap `bytes key = 1`.

    Raises INVALID_PUBKEY for another type or a key of the wrong length, TX_DECODE for bytes
    that do not parse."""
    pubkey = secp256k1_keys_pb2.PubKey()
    _parse(pubkey, packed.value, "public key")
    try:
        return public_key_of_type(packed.type_url, pubkey.key)
    except ValueError as error:
        raise INVALID_PUBKEY(str(error)) from None


def _refuse_third_party_fees(fee: tx_pb2.Fee) -> None:
    """Only the signer pays: charging it for a fee that names someone else would be a
    surprise, so such a tx is refused (as Cosmos refuses a granter without x/feegrant)."""
    if fee.payer:
        raise INVALID_REQUEST("fee payer is not supported: the tx's signer pays its fee")
    if fee.granter:
        raise INVALID_REQUEST("fee grants are not enabled: the tx's signer pays its fee")


def type_url_of(message: Message) -> str:
    return "/" + message.DESCRIPTOR.full_name


def build_unsigned(
    public_key: PublicKey,
    messages: Sequence[Message],
    *,
    sequence: int,
    fee: Coins,
    gas_limit: int,
    memo: str = "",
    timeout_height: int = 0,
) -> tx_pb2.TxRaw:
    """A TxRaw with everything but the signature, as `--generate-only` writes it."""
    body = tx_pb2.TxBody(
        messages=[
            any_pb2.Any(type_url=type_url_of(m), value=m.SerializeToString()) for m in messages
        ],
        memo=memo,
        timeout_height=timeout_height,
    )
    packed_key = any_pb2.Any(
        type_url=public_key.type_url,
        value=secp256k1_keys_pb2.PubKey(key=public_key.key).SerializeToString(),
    )
    auth_info = tx_pb2.AuthInfo(
        signer_infos=[signer_info(packed_key, sequence)],
        fee=tx_pb2.Fee(
            amount=fee.to_pb(),
            gas_limit=gas_limit,
        ),
    )
    return tx_pb2.TxRaw(
        body_bytes=body.SerializeToString(), auth_info_bytes=auth_info.SerializeToString()
    )


def signer_info(public_key: any_pb2.Any, sequence: int) -> tx_pb2.SignerInfo:
    """The one signer of a SIGN_MODE_DIRECT tx: its packed key and sequence."""
    return tx_pb2.SignerInfo(
        public_key=public_key,
        mode_info=tx_pb2.ModeInfo(single=tx_pb2.ModeInfo.Single(mode=signing_pb2.SIGN_MODE_DIRECT)),
        sequence=sequence,
    )


def sign_tx(unsigned: tx_pb2.TxRaw, key: PrivateKey, chain_id: str, account_number: int) -> bytes:
    """Sign a TxRaw in SIGN_MODE_DIRECT and return the bytes to broadcast."""
    signature = key.sign(
        sign_bytes(unsigned.body_bytes, unsigned.auth_info_bytes, chain_id, account_number)
    )
    return tx_pb2.TxRaw(
        body_bytes=unsigned.body_bytes,
        auth_info_bytes=unsigned.auth_info_bytes,
        signatures=[signature],
    ).SerializeToString()


def build_and_sign(
    key: PrivateKey,
    messages: Sequence[Message],
    *,
    chain_id: str,
    account_number: int,
    sequence: int,
    fee: Coins,
    gas_limit: int,
    memo: str = "",
    timeout_height: int = 0,
) -> bytes:
    unsigned = build_unsigned(
        key.public,
        messages,
        sequence=sequence,
        fee=fee,
        gas_limit=gas_limit,
        memo=memo,
        timeout_height=timeout_height,
    )
    return sign_tx(unsigned, key, chain_id, account_number)
