"""Wires the distribution module into the app."""

from __future__ import annotations

from typing import Any

from chain.context import Context
from chain.module import Invariant, JsonDict, Module, MsgRoute, QueryRoute
from chain.pb.cosmos.distribution.v1beta1 import tx_pb2
from chain.store import KVStore
from x.distribution import genesis, handlers, invariants, msgs, queries
from x.distribution.keeper import DistributionKeeper


class DistributionModule(Module):
    name = "distribution"

    def __init__(self, keeper: DistributionKeeper) -> None:
        self.keeper = keeper

    def msg_routes(self) -> list[MsgRoute]:
        keeper = self.keeper

        def withdraw_rewards(ctx: Context, msg: Any) -> tx_pb2.MsgWithdrawDelegatorRewardResponse:
            return handlers.handle_withdraw_delegator_reward(ctx, keeper, msg)

        def withdraw_commission(
            ctx: Context, msg: Any
        ) -> tx_pb2.MsgWithdrawValidatorCommissionResponse:
            return handlers.handle_withdraw_validator_commission(ctx, keeper, msg)

        return [
            MsgRoute(
                tx_pb2.MsgWithdrawDelegatorReward,
                msgs.validate_withdraw_delegator_reward,
                msgs.delegator_signer,
                withdraw_rewards,
                self.name,
            ),
            MsgRoute(
                tx_pb2.MsgWithdrawValidatorCommission,
                msgs.validate_withdraw_validator_commission,
                msgs.operator_signer,
                withdraw_commission,
                self.name,
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

    def begin_block(self, ctx: Context) -> None:
        self.keeper.allocate(ctx)

    def invariants(self) -> list[Invariant]:
        return invariants.invariants(self.keeper, self.keeper.bank, self.keeper.staking)
