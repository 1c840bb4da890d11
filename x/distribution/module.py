"""Wires the distribution module into the app."""

from __future__ import annotations

from chain.module import Module
from x.distribution.keeper import DistributionKeeper


class DistributionModule(Module):
    name = "distribution"

    def __init__(self, keeper: DistributionKeeper) -> None:
        self.keeper = keeper
