"""Wires the market module into the app."""

from __future__ import annotations

from chain.context import Context
from chain.module import Handles, KeeperModule, ValidatorUpdate
from chain.pb.gpuchain.market.v1 import tx_pb2
from x.market import genesis as market_genesis
from x.market import handlers, invariants, keys, msgs, queries
from x.market.keeper import DEPOSITS_ACCOUNT, MarketKeeper


class MarketModule(KeeperModule[MarketKeeper]):
    name = "market"
    genesis = market_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    checks = invariants
    cli = "x.market.cli"
    module_accounts = (DEPOSITS_ACCOUNT,)
    handles = (
        Handles(
            tx_pb2.MsgCreateBid,
            msgs.validate_create_bid,
            msgs.provider_signer,
            handlers.handle_create_bid,
        ),
        Handles(
            tx_pb2.MsgCloseBid,
            msgs.validate_bid_msg,
            msgs.bid_provider_signer,
            handlers.handle_close_bid,
        ),
        Handles(
            tx_pb2.MsgCreateLease,
            msgs.validate_bid_msg,
            msgs.bid_owner_signer,
            handlers.handle_create_lease,
        ),
        Handles(
            tx_pb2.MsgWithdrawLease,
            msgs.validate_withdraw_lease,
            msgs.lease_provider_signer,
            handlers.handle_withdraw_lease,
        ),
        Handles(
            tx_pb2.MsgCloseLease,
            msgs.validate_close_lease,
            msgs.close_lease_signer,
            handlers.handle_close_lease,
        ),
    )

    def end_block(self, ctx: Context) -> list[ValidatorUpdate]:
        self.keeper.end_block(ctx)
        return []
