"""Stateless checks of provider messages, their signer, and one builder per message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from chain.attributes import validate_attributes
from chain.coins import Coin, parse_amount
from chain.errors import INVALID_COINS
from chain.msgs import account_address
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.gpuchain.provider.v1 import provider_pb2, tx_pb2
from x.provider.errors import INVALID_PROVIDER

MAX_URI_LENGTH = 256
MAX_EMAIL_LENGTH = 128
FINGERPRINT_PATTERN = re.compile(r"[0-9a-f]{64}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def validate_uri(text: str, field: str, schemes: tuple[str, ...]) -> None:
    """An absolute URL of one of schemes with a host; raises INVALID_PROVIDER naming field."""
    if len(text) > MAX_URI_LENGTH:
        raise INVALID_PROVIDER(f"{field} is {len(text)} characters, at most {MAX_URI_LENGTH}")
    if not text.isascii() or not text.isprintable() or " " in text:
        raise INVALID_PROVIDER(f"{field} {text[:80]!r} must be printable ASCII without spaces")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise INVALID_PROVIDER(f"{field} {text[:80]!r} is not a URL") from None
    if parts.scheme not in schemes or not parts.hostname:
        raise INVALID_PROVIDER(
            f"{field} {text[:80]!r} must be a {' or '.join(schemes)} URL with a host, "
            "e.g. https://provider.example.com:8443"
        )


def validate_fingerprint(text: str) -> None:
    if text and not FINGERPRINT_PATTERN.fullmatch(text):
        raise INVALID_PROVIDER(
            f"cert_fingerprint {text[:80]!r} must be a SHA-256 digest: 64 lower-case hex digits"
        )


def _validate_description(
    owner: str,
    host_uri: str,
    attributes: Sequence[provider_pb2.Attribute],
    info: provider_pb2.Info,
    fingerprint: str,
) -> None:
    account_address(owner, "owner")
    validate_uri(host_uri, "host_uri", ("https",))
    validate_attributes(attributes, "attributes", INVALID_PROVIDER)
    if info.email and (
        len(info.email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(info.email)
    ):
        raise INVALID_PROVIDER(f"info.email {info.email[:80]!r} is not an email address")
    if info.website:
        validate_uri(info.website, "info.website", ("https", "http"))
    validate_fingerprint(fingerprint)


def parse_coin(coin: coin_pb2.Coin, field: str) -> Coin:
    """One positive coin; raises INVALID_COINS naming field."""
    amount = parse_amount(coin.amount, f"{field} amount")
    if not coin.denom or amount <= 0:
        raise INVALID_COINS(f"{field} must be a positive amount like 1000000ugpc")
    return Coin(coin.denom, amount)


def validate_create(msg: tx_pb2.MsgCreateProvider) -> None:
    _validate_description(msg.owner, msg.host_uri, msg.attributes, msg.info, msg.cert_fingerprint)
    parse_coin(msg.collateral, "collateral")


def validate_update(msg: tx_pb2.MsgUpdateProvider) -> None:
    _validate_description(msg.owner, msg.host_uri, msg.attributes, msg.info, msg.cert_fingerprint)


def validate_delete(msg: tx_pb2.MsgDeleteProvider) -> None:
    account_address(msg.owner, "owner")


def validate_add_collateral(msg: tx_pb2.MsgAddCollateral) -> None:
    account_address(msg.owner, "owner")
    parse_coin(msg.amount, "amount")


def owner_signer(msg: Any) -> str:
    """Every provider message is signed by its owner."""
    owner: str = msg.owner
    return owner


def attributes_pb(attributes: Sequence[tuple[str, str]]) -> list[provider_pb2.Attribute]:
    return [provider_pb2.Attribute(key=key, value=value) for key, value in attributes]


def create_provider_msg(
    owner: str,
    host_uri: str,
    attributes: Sequence[tuple[str, str]],
    collateral: Coin,
    email: str = "",
    website: str = "",
    cert_fingerprint: str = "",
) -> tx_pb2.MsgCreateProvider:
    return tx_pb2.MsgCreateProvider(
        owner=owner,
        host_uri=host_uri,
        attributes=attributes_pb(attributes),
        info=provider_pb2.Info(email=email, website=website),
        cert_fingerprint=cert_fingerprint,
        collateral=collateral.to_pb(),
    )


def update_provider_msg(
    owner: str,
    host_uri: str,
    attributes: Sequence[tuple[str, str]],
    email: str = "",
    website: str = "",
    cert_fingerprint: str = "",
) -> tx_pb2.MsgUpdateProvider:
    return tx_pb2.MsgUpdateProvider(
        owner=owner,
        host_uri=host_uri,
        attributes=attributes_pb(attributes),
        info=provider_pb2.Info(email=email, website=website),
        cert_fingerprint=cert_fingerprint,
    )


def delete_provider_msg(owner: str) -> tx_pb2.MsgDeleteProvider:
    return tx_pb2.MsgDeleteProvider(owner=owner)


def add_collateral_msg(owner: str, amount: Coin) -> tx_pb2.MsgAddCollateral:
    return tx_pb2.MsgAddCollateral(owner=owner, amount=amount.to_pb())
