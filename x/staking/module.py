"""Wires the staking module into the app."""

from __future__ import annotations

from chain.context import Context, EvidenceParams
from chain.module import (
    BURNER,
    STAKING,
    Handles,
    Invariant,
    JsonDict,
    KeeperModule,
    ModuleAccount,
    ValidatorUpdate,
)
from chain.pb.cosmos.staking.v1beta1 import tx_pb2
from chain.store import KVStore
from x.staking import genesis as staking_genesis
from x.staking import handlers, invariants, keys, msgs, queries
from x.staking.expected import BankKeeper
from x.staking.keeper import StakingKeeper
from x.staking.types import BONDED_POOL_NAME, NOT_BONDED_POOL_NAME


class StakingModule(KeeperModule[StakingKeeper]):
    name = "staking"
    genesis = staking_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    cli = "x.staking.cli"
    module_accounts = (
        ModuleAccount(BONDED_POOL_NAME, frozenset({BURNER, STAKING})),
        ModuleAccount(NOT_BONDED_POOL_NAME, frozenset({BURNER, STAKING})),
    )
    handles = (
        Handles(
            tx_pb2.MsgCreateValidator,
            msgs.validate_create_validator,
            msgs.operator_signer,
            handlers.handle_create_validator,
        ),
        Handles(
            tx_pb2.MsgEditValidator,
            msgs.validate_edit_validator,
            msgs.operator_signer,
            handlers.handle_edit_validator,
        ),
        Handles(
            tx_pb2.MsgDelegate,
            msgs.validate_delegate,
            msgs.delegator_signer,
            handlers.handle_delegate,
        ),
        Handles(
            tx_pb2.MsgUndelegate,
            msgs.validate_delegate,
            msgs.delegator_signer,
            handlers.handle_undelegate,
        ),
        Handles(
            tx_pb2.MsgBeginRedelegate,
            msgs.validate_redelegate,
            msgs.delegator_signer,
            handlers.handle_redelegate,
        ),
    )

    def __init__(self, keeper: StakingKeeper, bank: BankKeeper) -> None:
        super().__init__(keeper)
        self.bank = bank

    def validate_evidence_age(self, state: JsonDict, evidence: EvidenceParams) -> None:
        staking_genesis.validate_evidence_age(state, evidence)

    def end_block(self, ctx: Context) -> list[ValidatorUpdate]:
        """Cosmos's order: the new set first, then whatever matures at this height."""
        updates = self.keeper.apply_validator_set(ctx)
        self.keeper.complete_unbonding_validators(ctx)
        self.keeper.complete_unbondings(ctx)
        self.keeper.complete_redelegations(ctx)
        return updates

    def genesis_validators(self, store: KVStore) -> list[ValidatorUpdate]:
        powers = self.keeper.last_powers(store)
        return [
            ValidatorUpdate(self.keeper.require_validator(store, operator).consensus_pubkey, power)
            for operator, power in sorted(powers.items())
        ]

    def invariants(self) -> list[Invariant]:
        return invariants.invariants(self.keeper, self.bank)
