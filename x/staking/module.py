"""Wires the staking module into the app."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message

from chain.context import Context
from chain.module import Invariant, JsonDict, Module, MsgRoute, QueryRoute, ValidatorUpdate
from chain.pb.cosmos.staking.v1beta1 import tx_pb2
from chain.store import KVStore
from x.staking import genesis, handlers, invariants, msgs, queries
from x.staking.expected import BankKeeper
from x.staking.keeper import StakingKeeper


class StakingModule(Module):
    name = "staking"

    def __init__(self, keeper: StakingKeeper, bank: BankKeeper) -> None:
        self.keeper = keeper
        self.bank = bank

    def msg_routes(self) -> list[MsgRoute]:
        keeper = self.keeper

        def route(message: type[Message], validate: Any, signer: Any, handle: Any) -> MsgRoute:
            def run(ctx: Context, msg: Any) -> Message:
                response: Message = handle(ctx, keeper, msg)
                return response

            return MsgRoute(message, validate, signer, run, self.name)

        return [
            route(
                tx_pb2.MsgCreateValidator,
                msgs.validate_create_validator,
                msgs.operator_signer,
                handlers.handle_create_validator,
            ),
            route(
                tx_pb2.MsgEditValidator,
                msgs.validate_edit_validator,
                msgs.operator_signer,
                handlers.handle_edit_validator,
            ),
            route(
                tx_pb2.MsgDelegate,
                msgs.validate_delegate,
                msgs.delegator_signer,
                handlers.handle_delegate,
            ),
            route(
                tx_pb2.MsgUndelegate,
                msgs.validate_delegate,
                msgs.delegator_signer,
                handlers.handle_undelegate,
            ),
            route(
                tx_pb2.MsgBeginRedelegate,
                msgs.validate_redelegate,
                msgs.delegator_signer,
                handlers.handle_redelegate,
            ),
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

    def end_block(self, ctx: Context) -> list[ValidatorUpdate]:
        self.keeper.complete_unbondings(ctx)
        return self.keeper.apply_validator_set(ctx)

    def genesis_validators(self, store: KVStore) -> list[ValidatorUpdate]:
        powers = self.keeper.last_powers(store)
        return [
            ValidatorUpdate(self.keeper.require_validator(store, operator).consensus_pubkey, power)
            for operator, power in sorted(powers.items())
        ]

    def invariants(self) -> list[Invariant]:
        return invariants.invariants(self.keeper, self.bank)
