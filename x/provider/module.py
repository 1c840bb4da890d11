"""Wires the provider module into the app."""

from __future__ import annotations

from chain.context import Context
from chain.module import Handles, KeeperModule
from chain.pb.gpuchain.provider.v1 import tx_pb2
from x.provider import abci, handlers, invariants, keys, msgs, queries
from x.provider import genesis as provider_genesis
from x.provider.keeper import COLLATERAL_ACCOUNT, ProviderKeeper


class ProviderModule(KeeperModule[ProviderKeeper]):
    name = "provider"
    genesis = provider_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    checks = invariants
    cli = "x.provider.cli"
    module_accounts = (COLLATERAL_ACCOUNT,)
    handles = (
        Handles(
            tx_pb2.MsgCreateProvider,
            msgs.validate_create,
            msgs.owner_signer,
            handlers.handle_create,
        ),
        Handles(
            tx_pb2.MsgUpdateProvider,
            msgs.validate_update,
            msgs.owner_signer,
            handlers.handle_update,
        ),
        Handles(
            tx_pb2.MsgDeleteProvider,
            msgs.validate_delete,
            msgs.owner_signer,
            handlers.handle_delete,
        ),
        Handles(
            tx_pb2.MsgAddCollateral,
            msgs.validate_add_collateral,
            msgs.owner_signer,
            handlers.handle_add_collateral,
        ),
    )

    def begin_block(self, ctx: Context) -> None:
        abci.begin_block(ctx, self.keeper)
