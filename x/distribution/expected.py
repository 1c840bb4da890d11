"""What distribution needs from bank and staking."""

from __future__ import annotations

from typing import Protocol


class BankKeeper(Protocol):
    pass


class StakingKeeper(Protocol):
    pass
