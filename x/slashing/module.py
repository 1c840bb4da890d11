"""Wires the slashing module into the app."""

from __future__ import annotations

from chain.context import Context
from chain.module import Handles, KeeperModule
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2
from x.slashing import abci, handlers, invariants, keys, msgs, queries
from x.slashing import genesis as slashing_genesis
from x.slashing.keeper import SlashingKeeper


class SlashingModule(KeeperModule[SlashingKeeper]):
    name = "slashing"
    genesis = slashing_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    checks = invariants
    cli = "x.slashing.cli"
    handles = (
        Handles(tx_pb2.MsgUnjail, msgs.validate_unjail, msgs.unjail_signer, handlers.handle_unjail),
    )

    def begin_block(self, ctx: Context) -> None:
        abci.begin_block(ctx, self.keeper)
