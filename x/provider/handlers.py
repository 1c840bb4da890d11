"""One function per provider message: ordered checks, then one keeper call."""

from __future__ import annotations

from chain.coins import Coin
from chain.context import Context
from chain.msgs import account_address
from chain.pb.gpuchain.provider.v1 import tx_pb2
from x.provider.errors import (
    COLLATERAL_TOO_LOW,
    HAS_OBLIGATIONS,
    PROVIDER_EXISTS,
    UNKNOWN_PROVIDER,
    WRONG_COLLATERAL_DENOM,
)
from x.provider.keeper import ProviderKeeper
from x.provider.msgs import parse_coin
from x.provider.types import Provider


def _provider(
    msg: tx_pb2.MsgCreateProvider | tx_pb2.MsgUpdateProvider, owner: bytes, collateral: Coin
) -> Provider:
    return Provider(
        owner=owner,
        host_uri=msg.host_uri,
        attributes=tuple((a.key, a.value) for a in msg.attributes),
        email=msg.info.email,
        website=msg.info.website,
        cert_fingerprint=msg.cert_fingerprint,
        collateral=collateral,
    )


def _require(keeper: ProviderKeeper, ctx: Context, owner_text: str) -> Provider:
    provider = keeper.provider(ctx.store, account_address(owner_text, "owner"))
    if provider is None:
        raise UNKNOWN_PROVIDER(f"{owner_text} is not a provider")
    return provider


def _check_denom(amount: Coin, denom: str, field: str) -> None:
    if amount.denom != denom:
        raise WRONG_COLLATERAL_DENOM(f"{field} {amount} must be in {denom}")


def handle_create(
    ctx: Context, keeper: ProviderKeeper, msg: tx_pb2.MsgCreateProvider
) -> tx_pb2.MsgCreateProviderResponse:
    """Raises PROVIDER_EXISTS, WRONG_COLLATERAL_DENOM, COLLATERAL_TOO_LOW (below
    min_provider_collateral) and INSUFFICIENT_FUNDS."""
    owner = account_address(msg.owner, "owner")
    if keeper.provider(ctx.store, owner) is not None:
        raise PROVIDER_EXISTS(f"{msg.owner} is already a provider; update it instead")
    minimum = keeper.params(ctx.store).min_provider_collateral
    collateral = parse_coin(msg.collateral, "collateral")
    _check_denom(collateral, minimum.denom, "collateral")
    if collateral.amount < minimum.amount:
        raise COLLATERAL_TOO_LOW(f"collateral {collateral} is below the minimum {minimum}")
    keeper.create(ctx, _provider(msg, owner, collateral))
    return tx_pb2.MsgCreateProviderResponse()


def handle_update(
    ctx: Context, keeper: ProviderKeeper, msg: tx_pb2.MsgUpdateProvider
) -> tx_pb2.MsgUpdateProviderResponse:
    """Raises UNKNOWN_PROVIDER; the collateral stays as it is."""
    current = _require(keeper, ctx, msg.owner)
    keeper.update(ctx, _provider(msg, current.owner, current.collateral))
    return tx_pb2.MsgUpdateProviderResponse()


def handle_delete(
    ctx: Context, keeper: ProviderKeeper, msg: tx_pb2.MsgDeleteProvider
) -> tx_pb2.MsgDeleteProviderResponse:
    """Raises UNKNOWN_PROVIDER and HAS_OBLIGATIONS (a registered hook's reason)."""
    provider = _require(keeper, ctx, msg.owner)
    reason = keeper.obligation(ctx.store, provider.owner)
    if reason is not None:
        raise HAS_OBLIGATIONS(f"{msg.owner} cannot leave yet: {reason}")
    keeper.delete(ctx, provider)
    return tx_pb2.MsgDeleteProviderResponse()


def handle_add_collateral(
    ctx: Context, keeper: ProviderKeeper, msg: tx_pb2.MsgAddCollateral
) -> tx_pb2.MsgAddCollateralResponse:
    """Raises UNKNOWN_PROVIDER, WRONG_COLLATERAL_DENOM and INSUFFICIENT_FUNDS."""
    provider = _require(keeper, ctx, msg.owner)
    amount = parse_coin(msg.amount, "amount")
    _check_denom(amount, provider.collateral.denom, "amount")
    keeper.add_collateral(ctx, provider, amount)
    return tx_pb2.MsgAddCollateralResponse()
