"""Stateless checks of market messages, their signers, and the one builder per message the
CLI and tests use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chain.coins import Coin, parse_amount
from chain.errors import INVALID_COINS
from chain.msgs import account_address
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from chain.pb.gpuchain.market.v1 import market_pb2, tx_pb2
from x.market.errors import INVALID_BID, INVALID_DENOM, INVALID_REASON
from x.market.types import DENOM, OWNER_REASONS, PROVIDER_REASONS, HasOrderFields, reason_name


def ugpc_amount(coin: coin_pb2.Coin, field: str) -> int:
    """A positive ugpc amount; raises INVALID_DENOM or INVALID_COINS naming the field."""
    if coin.denom != DENOM:
        raise INVALID_DENOM(f"{field} is in {coin.denom[:40]!r}, the market takes {DENOM}")
    amount = parse_amount(coin.amount, f"{field} amount")
    if amount <= 0:
        raise INVALID_COINS(f"{field} must be positive")
    return amount


def _order_fields(message: HasOrderFields, where: str) -> None:
    account_address(message.owner, f"{where}.owner")
    for name in ("dseq", "gseq", "oseq"):
        if getattr(message, name) <= 0:
            raise INVALID_BID(f"{where}.{name} must be positive")


def _bid_fields(message: market_pb2.BidID | market_pb2.LeaseID, where: str) -> None:
    _order_fields(message, where)
    account_address(message.provider, f"{where}.provider")


def validate_create_bid(msg: tx_pb2.MsgCreateBid) -> None:
    _order_fields(msg.order_id, "order_id")
    account_address(msg.provider, "provider")
    ugpc_amount(msg.price, "price")
    ugpc_amount(msg.deposit, "deposit")


def validate_bid_msg(msg: tx_pb2.MsgCloseBid | tx_pb2.MsgCreateLease) -> None:
    _bid_fields(msg.bid_id, "bid_id")


def validate_withdraw_lease(msg: tx_pb2.MsgWithdrawLease) -> None:
    _bid_fields(msg.lease_id, "lease_id")


def validate_close_lease(msg: tx_pb2.MsgCloseLease) -> None:
    _bid_fields(msg.lease_id, "lease_id")
    if msg.reason not in OWNER_REASONS + PROVIDER_REASONS:
        allowed = ", ".join(reason_name(reason) for reason in OWNER_REASONS + PROVIDER_REASONS)
        raise INVALID_REASON(f"a lease is closed by message with reason {allowed}")


def provider_signer(msg: tx_pb2.MsgCreateBid) -> str:
    return msg.provider


def bid_provider_signer(msg: tx_pb2.MsgCloseBid) -> str:
    return msg.bid_id.provider


def bid_owner_signer(msg: tx_pb2.MsgCreateLease) -> str:
    return msg.bid_id.owner


def lease_provider_signer(msg: tx_pb2.MsgWithdrawLease) -> str:
    return msg.lease_id.provider


def close_lease_signer(msg: tx_pb2.MsgCloseLease) -> str:
    """The provider for its own reasons (provider, manifest timeout), else the owner."""
    return msg.lease_id.provider if msg.reason in PROVIDER_REASONS else msg.lease_id.owner


def order_id(owner: str, dseq: int, gseq: int, oseq: int) -> market_pb2.OrderID:
    return market_pb2.OrderID(owner=owner, dseq=dseq, gseq=gseq, oseq=oseq)


def bid_id(owner: str, dseq: int, gseq: int, oseq: int, provider: str) -> market_pb2.BidID:
    return market_pb2.BidID(owner=owner, dseq=dseq, gseq=gseq, oseq=oseq, provider=provider)


def lease_id(owner: str, dseq: int, gseq: int, oseq: int, provider: str) -> market_pb2.LeaseID:
    return market_pb2.LeaseID(owner=owner, dseq=dseq, gseq=gseq, oseq=oseq, provider=provider)


def lease_fields(lease: market_pb2.LeaseID) -> dict[str, Any]:
    """A lease id's owner, dseq, gseq, oseq and provider as keywords: the lease and usage
    queries take them flat, not as a nested id."""
    return {name: getattr(lease, name) for name in ("owner", "dseq", "gseq", "oseq", "provider")}


def create_bid_msg(
    order: market_pb2.OrderID,
    provider: str,
    price: Coin,
    deposit: Coin,
    resources: Sequence[deployment_pb2.ResourceUnit] = (),
) -> tx_pb2.MsgCreateBid:
    return tx_pb2.MsgCreateBid(
        order_id=order,
        provider=provider,
        price=price.to_pb(),
        deposit=deposit.to_pb(),
        resources=resources,
    )


def close_bid_msg(bid: market_pb2.BidID) -> tx_pb2.MsgCloseBid:
    return tx_pb2.MsgCloseBid(bid_id=bid)


def create_lease_msg(bid: market_pb2.BidID) -> tx_pb2.MsgCreateLease:
    return tx_pb2.MsgCreateLease(bid_id=bid)


def withdraw_lease_msg(lease: market_pb2.LeaseID) -> tx_pb2.MsgWithdrawLease:
    return tx_pb2.MsgWithdrawLease(lease_id=lease)


def close_lease_msg(
    lease: market_pb2.LeaseID, reason: market_pb2.LeaseClosedReason
) -> tx_pb2.MsgCloseLease:
    return tx_pb2.MsgCloseLease(lease_id=lease, reason=reason)
