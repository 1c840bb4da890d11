"""Wires the slashing module into the app."""

from __future__ import annotations

from typing import Any

from chain.context import Context
from chain.module import Invariant, JsonDict, Module, MsgRoute, QueryRoute
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2
from chain.store import KVStore
from x.slashing import abci, genesis, handlers, invariants, msgs, queries
from x.slashing.keeper import SlashingKeeper


class SlashingModule(Module):
    name = "slashing"

    def __init__(self, keeper: SlashingKeeper) -> None:
        self.keeper = keeper

    def msg_routes(self) -> list[MsgRoute]:
        keeper = self.keeper

        def unjail(ctx: Context, msg: Any) -> tx_pb2.MsgUnjailResponse:
            return handlers.handle_unjail(ctx, keeper, msg)

        return [
            MsgRoute(tx_pb2.MsgUnjail, msgs.validate_unjail, msgs.unjail_signer, unjail, self.name)
        ]

    def query_routes(self) -> list[QueryRoute]:
        return queries.query_routes(self.keeper)

    def default_genesis(self) -> JsonDict:
        return genesis.default_genesis()

    def validate_genesis(self, state: JsonDict) -> None:
        genesis.validate_genesis(state)

    def init_genesis(self, ctx: Context, state: JsonDict) -> None:
        genesis.init_genesis(ctx, self.keeper, state)

    def export_genesis(self, store: KVStore) -> JsonDict:
        return genesis.export_genesis(store, self.keeper)

    def begin_block(self, ctx: Context) -> None:
        abci.begin_block(ctx, self.keeper)

    def invariants(self) -> list[Invariant]:
        return invariants.invariants(self.keeper)
