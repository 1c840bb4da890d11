"""What staking needs from bank and offers to distribution/slashing through hooks."""

from __future__ import annotations

from typing import Protocol

from chain.coins import Coins
from chain.context import Context
from chain.store import KVStore


class BankKeeper(Protocol):
    def send(self, ctx: Context, sender: bytes, recipient: bytes, amount: Coins) -> None: ...

    def balance(self, store: KVStore, address: bytes, denom: str) -> int: ...

    def burn(self, ctx: Context, address: bytes, amount: Coins) -> None: ...


class StakingHooks(Protocol):
    """Called around changes other modules account for (rewards follow shares)."""

    def after_validator_created(self, ctx: Context, operator: bytes) -> None: ...

    def before_delegation_changed(self, ctx: Context, delegator: bytes, operator: bytes) -> None:
        """Settle what the delegation earned under its current shares."""
        ...

    def after_delegation_changed(self, ctx: Context, delegator: bytes, operator: bytes) -> None:
        """Start accruing under the new shares."""
        ...


class ValidatorStatusHooks(Protocol):
    """Called when a validator enters or leaves the active set (Cosmos's AfterValidatorBonded
    and AfterValidatorBeginUnbonding)."""

    def after_validator_bonded(self, ctx: Context, operator: bytes) -> None:
        """The validator is in the set CometBFT receives at the end of this block."""
        ...

    def after_validator_begin_unbonding(self, ctx: Context, operator: bytes) -> None:
        """The validator left the set; its stake stays slashable for the unbonding period."""
        ...
