"""Wires the distribution module into the app."""

from __future__ import annotations

from chain.context import Context
from chain.module import (
    MINTER,
    Handles,
    Invariant,
    KeeperModule,
    ModuleAccount,
)
from chain.pb.cosmos.distribution.v1beta1 import tx_pb2
from x.distribution import genesis as distribution_genesis
from x.distribution import handlers, invariants, keys, msgs, queries
from x.distribution.keeper import DistributionKeeper
from x.distribution.types import DISTRIBUTION_NAME


class DistributionModule(KeeperModule[DistributionKeeper]):
    name = "distribution"
    genesis = distribution_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    cli = "x.distribution.cli"
    module_accounts = (ModuleAccount(DISTRIBUTION_NAME, frozenset({MINTER})),)
    handles = (
        Handles(
            tx_pb2.MsgWithdrawDelegatorReward,
            msgs.validate_withdraw_delegator_reward,
            msgs.delegator_signer,
            handlers.handle_withdraw_delegator_reward,
        ),
        Handles(
            tx_pb2.MsgWithdrawValidatorCommission,
            msgs.validate_withdraw_validator_commission,
            msgs.operator_signer,
            handlers.handle_withdraw_validator_commission,
        ),
    )

    def begin_block(self, ctx: Context) -> None:
        self.keeper.allocate(ctx)

    def invariants(self) -> list[Invariant]:
        return invariants.invariants(self.keeper, self.keeper.bank, self.keeper.staking)
