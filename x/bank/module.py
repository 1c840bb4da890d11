"""Wires the bank module into the app."""

from __future__ import annotations

from typing import Any

from chain.context import Context
from chain.module import Invariant, JsonDict, Module, MsgRoute, QueryRoute
from chain.pb.cosmos.bank.v1beta1 import tx_pb2
from chain.store import KVStore
from x.bank import genesis, handlers, invariants, msgs, queries
from x.bank.keeper import BankKeeper


class BankModule(Module):
    name = "bank"

    def __init__(self, keeper: BankKeeper) -> None:
        self.keeper = keeper

    def msg_routes(self) -> list[MsgRoute]:
        keeper = self.keeper

        def send(ctx: Context, msg: Any) -> tx_pb2.MsgSendResponse:
            return handlers.handle_send(ctx, keeper, msg)

        def multi_send(ctx: Context, msg: Any) -> tx_pb2.MsgMultiSendResponse:
            return handlers.handle_multi_send(ctx, keeper, msg)

        return [
            MsgRoute(tx_pb2.MsgSend, msgs.validate_send, msgs.send_signer, send, self.name),
            MsgRoute(
                tx_pb2.MsgMultiSend,
                msgs.validate_multi_send,
                msgs.multi_send_signer,
                multi_send,
                self.name,
            ),
        ]

    def query_routes(self) -> list[QueryRoute]:
        return queries.query_routes(self.keeper)

    def default_genesis(self) -> JsonDict:
        return {"balances": [], "supply": []}

    def validate_genesis(self, state: JsonDict) -> None:
        genesis.validate_genesis(state)

    def init_genesis(self, ctx: Context, state: JsonDict) -> None:
        genesis.init_genesis(ctx, self.keeper, state)

    def export_genesis(self, store: KVStore) -> JsonDict:
        return genesis.export_genesis(store, self.keeper)

    def invariants(self) -> list[Invariant]:
        return invariants.invariants(self.keeper)
