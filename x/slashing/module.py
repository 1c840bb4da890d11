"""Wires the slashing module into the app."""

from __future__ import annotations

from chain.context import Context
from chain.module import Handles, Invariant, KeeperModule, ModuleCommands, QueryRoute
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2
from x.slashing import abci, handlers, invariants, keys, msgs, queries
from x.slashing import genesis as slashing_genesis
from x.slashing.keeper import SlashingKeeper


class SlashingModule(KeeperModule[SlashingKeeper]):
    name = "slashing"
    genesis = slashing_genesis
    store_prefix = keys.MODULE_PREFIX
    handles = (
        Handles(tx_pb2.MsgUnjail, msgs.validate_unjail, msgs.unjail_signer, handlers.handle_unjail),
    )

    def query_routes(self) -> list[QueryRoute]:
        return queries.query_routes(self.keeper)

    def begin_block(self, ctx: Context) -> None:
        abci.begin_block(ctx, self.keeper)

    def invariants(self) -> list[Invariant]:
        return invariants.invariants(self.keeper)

    def commands(self) -> ModuleCommands:
        from x.slashing import cli

        return cli
