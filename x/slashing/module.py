"""Wires the slashing module into the app."""

from __future__ import annotations

from chain.module import Module
from x.slashing.keeper import SlashingKeeper


class SlashingModule(Module):
    name = "slashing"

    def __init__(self, keeper: SlashingKeeper) -> None:
        self.keeper = keeper
