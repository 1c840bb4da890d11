"""What slashing needs from staking."""

from __future__ import annotations

from typing import Protocol


class StakingKeeper(Protocol):
    pass
