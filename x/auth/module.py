"""Wires the auth module into the app."""

from __future__ import annotations

from chain.context import Context
from chain.module import JsonDict, Module, QueryRoute
from chain.store import KVStore
from x.auth import genesis, queries
from x.auth.keeper import AccountKeeper


class AuthModule(Module):
    name = "auth"

    def __init__(self, keeper: AccountKeeper) -> None:
        self.keeper = keeper

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
