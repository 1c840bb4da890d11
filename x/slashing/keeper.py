"""Validator punishment (being written)."""

from __future__ import annotations

from x.slashing.expected import StakingKeeper


class SlashingKeeper:
    def __init__(self, staking: StakingKeeper) -> None:
        self._staking = staking
