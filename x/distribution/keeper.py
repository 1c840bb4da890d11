"""Reward accounting (being written)."""

from __future__ import annotations

from chain.context import Context
from x.distribution.expected import BankKeeper, StakingKeeper


class DistributionKeeper:
    def __init__(self, bank: BankKeeper, staking: StakingKeeper) -> None:
        self._bank = bank
        self._staking = staking

    def after_validator_created(self, ctx: Context, operator: bytes) -> None:
        pass

    def before_delegation_changed(self, ctx: Context, delegator: bytes, operator: bytes) -> None:
        pass

    def after_delegation_changed(self, ctx: Context, delegator: bytes, operator: bytes) -> None:
        pass
