"""Reward accounting: views first, then the writes block hooks, handlers and staking hooks
go through.

Every rewarded block mints the provision and takes the fee collector's balance into the
distribution module account, then splits the total among the last commit's signers by
power. Per validator, commission is set aside for the operator and the rest raises the
validator's reward per share; a delegation is paid shares * (reward per share now - at
its last settlement), so a block costs O(signers), never O(delegators).
"""

from __future__ import annotations

from dataclasses import dataclass

from chain.coins import Coins
from chain.context import Context
from chain.crypto import encode_address, encode_validator_address
from chain.params import get_params, set_params
from chain.store import KVStore, decode_uint, encode_uint, iterate_prefix
from x.distribution import events, keys
from x.distribution.errors import NO_DELEGATION, NO_VALIDATOR_COMMISSION, UNKNOWN_VALIDATOR
from x.distribution.expected import BankKeeper, StakingKeeper, ValidatorView
from x.distribution.types import (
    DISTRIBUTION,
    RATE_ONE,
    REWARD_SCALE,
    Params,
    ValidatorRewards,
    format_rate,
    pending_reward,
)


@dataclass(frozen=True)
class Allocation:
    """What one block distributed: the provision, the fees, each signer's share, and the
    community pool's part (the community tax plus what rounding left)."""

    provision: int
    fees: int
    to_validators: tuple[tuple[bytes, int, int], ...]  # operator, commission, delegators' part
    to_community_pool: int


class DistributionKeeper:
    def __init__(self, bank: BankKeeper, staking: StakingKeeper) -> None:
        self.bank = bank
        self.staking = staking

    # --- views ---------------------------------------------------------------------

    def params(self, store: KVStore) -> Params:
        return get_params(store, keys.PARAMS_KEY, Params)

    def denom(self, store: KVStore) -> str:
        """Rewards are paid in the bond denom (fees too: the ante takes no other)."""
        return self.staking.params(store).bond_denom

    def community_pool(self, store: KVStore) -> int:
        return decode_uint(store.get(keys.COMMUNITY_POOL_KEY))

    def validator_rewards(self, store: KVStore, operator: bytes) -> ValidatorRewards:
        raw = store.get(keys.validator_rewards_key(operator))
        return ValidatorRewards.decode(raw) if raw is not None else ValidatorRewards()

    def all_validator_rewards(self, store: KVStore) -> list[tuple[bytes, ValidatorRewards]]:
        """Every validator's record in operator order; genesis, invariants and queries."""
        skip = len(keys.VALIDATOR_REWARDS_PREFIX)
        return [
            (key[skip:], ValidatorRewards.decode(value))
            for key, value in iterate_prefix(store, keys.VALIDATOR_REWARDS_PREFIX)
        ]

    def delegation_start(self, store: KVStore, delegator: bytes, operator: bytes) -> int:
        return decode_uint(store.get(keys.delegation_start_key(delegator, operator)))

    def all_delegation_starts(self, store: KVStore) -> list[tuple[bytes, bytes, int]]:
        """(delegator, operator, reward per share at settlement) in key order."""
        skip = len(keys.DELEGATION_START_PREFIX)
        width = keys.ADDRESS_LENGTH
        return [
            (key[skip : skip + width], key[skip + width :], decode_uint(value))
            for key, value in iterate_prefix(store, keys.DELEGATION_START_PREFIX)
        ]

    def pending_rewards(self, store: KVStore, delegator: bytes, operator: bytes) -> int:
        """What withdrawing this delegation's rewards would pay now (0 without one)."""
        shares = self.staking.delegation_shares(store, delegator, operator)
        if not shares:
            return 0
        current = self.validator_rewards(store, operator).reward_per_share
        return pending_reward(shares, current, self.delegation_start(store, delegator, operator))

    def delegated_validators(self, store: KVStore, delegator: bytes) -> list[bytes]:
        """The operators a delegator has shares with, in operator order."""
        return [operator for operator, _ in self.staking.delegations_of(store, delegator)]

    def require_validator(self, store: KVStore, operator: bytes) -> ValidatorView:
        found = self.staking.validator(store, operator)
        if found is None:
            raise UNKNOWN_VALIDATOR(encode_validator_address(operator))
        return found

    def require_delegation(self, store: KVStore, delegator: bytes, operator: bytes) -> int:
        """The delegation's shares; raises UNKNOWN_VALIDATOR, NO_DELEGATION."""
        self.require_validator(store, operator)
        shares = self.staking.delegation_shares(store, delegator, operator)
        if not shares:
            raise NO_DELEGATION(
                f"{encode_address(delegator)} has no delegation to "
                f"{encode_validator_address(operator)}"
            )
        return shares

    # --- writes --------------------------------------------------------------------

    def set_params(self, store: KVStore, params: Params) -> None:
        set_params(store, keys.PARAMS_KEY, params)

    def set_community_pool(self, store: KVStore, amount: int) -> None:
        if amount:
            store.set(keys.COMMUNITY_POOL_KEY, encode_uint(amount))
        else:
            store.delete(keys.COMMUNITY_POOL_KEY)

    def set_validator_rewards(
        self, store: KVStore, operator: bytes, rewards: ValidatorRewards
    ) -> None:
        store.set(keys.validator_rewards_key(operator), rewards.encode())

    def set_delegation_start(
        self, store: KVStore, delegator: bytes, operator: bytes, reward_per_share: int
    ) -> None:
        store.set(keys.delegation_start_key(delegator, operator), encode_uint(reward_per_share))

    def fund_community_pool(self, ctx: Context, sender: bytes, amount: int) -> None:
        """Move amount of the bond denom from sender into the community pool (escrow's take
        rate); raises INSUFFICIENT_FUNDS."""
        if amount:
            self.bank.send(ctx, sender, DISTRIBUTION, self._coins(ctx.store, amount))
            self.set_community_pool(ctx.store, self.community_pool(ctx.store) + amount)

    def _coins(self, store: KVStore, amount: int) -> Coins:
        return Coins.single(self.denom(store), amount)

    def allocate(self, ctx: Context) -> Allocation | None:
        """Mint this block's provision and pay it, with the fees collected so far, to the
        last commit's signers by power. Without a known signer (no commit yet, or only
        unknown validators) nothing is minted, the fees wait for a block that has one, and
        the answer is None.
        """
        signers: dict[bytes, tuple[ValidatorView, int]] = {}
        for vote in ctx.block.votes:
            if not vote.signed or vote.power <= 0:
                continue
            validator = self.staking.validator_by_consensus_address(
                ctx.store, vote.validator_address
            )
            if validator is None:
                continue
            known = signers.get(validator.operator)
            signers[validator.operator] = (validator, vote.power + (known[1] if known else 0))
        total_power = sum(power for _, power in signers.values())
        if not total_power:
            return None
        store = ctx.store
        denom = self.denom(store)
        params = self.params(store)
        provision = params.provision(self.bank.supply_of(store, denom))
        if provision:
            self.bank.mint(store, DISTRIBUTION, self._coins(store, provision))
            events.emit_mint(ctx, f"{provision}{denom}", format_rate(params.inflation_rate))
        fees = self.bank.balance(store, self.bank.fee_collector, denom)
        if fees:
            self.bank.send(ctx, self.bank.fee_collector, DISTRIBUTION, self._coins(store, fees))
        total = provision + fees
        shared = params.to_validators(total)
        paid = []
        remainder = total
        for operator in sorted(signers):
            validator, power = signers[operator]
            reward = shared * power // total_power
            remainder -= reward
            commission, to_delegators = self._reward_validator(ctx, validator, reward)
            paid.append((operator, commission, to_delegators))
        if remainder:
            self.set_community_pool(store, self.community_pool(store) + remainder)
        return Allocation(provision, fees, tuple(paid), remainder)

    def _reward_validator(
        self, ctx: Context, validator: ValidatorView, reward: int
    ) -> tuple[int, int]:
        """Commission to the operator, the rest to the delegators' reward per share; a
        validator without shares (all unbonded since the commit) gives the rest to the
        community pool. Returns (commission, delegators' part)."""
        commission = reward * validator.commission.rate // RATE_ONE
        rest = reward - commission
        rewards = self.validator_rewards(ctx.store, validator.operator)
        rewards = rewards.with_(commission=rewards.commission + commission)
        if validator.shares:
            rewards = rewards.with_(
                reward_per_share=rewards.reward_per_share + rest * REWARD_SCALE // validator.shares,
                outstanding=rewards.outstanding + rest,
            )
        else:
            self.set_community_pool(ctx.store, self.community_pool(ctx.store) + rest)
            rest = 0
        self.set_validator_rewards(ctx.store, validator.operator, rewards)
        denom = self.denom(ctx.store)
        events.emit_allocation(ctx, validator.operator, f"{commission}{denom}", f"{rest}{denom}")
        return commission, rest

    def withdraw_rewards(self, ctx: Context, delegator: bytes, operator: bytes) -> int:
        """Pay a delegation's pending rewards to the delegator and restart its accrual from
        now; returns the amount (possibly 0). Staking's hooks call it on every share change."""
        rewards = self.validator_rewards(ctx.store, operator)
        amount = self.pending_rewards(ctx.store, delegator, operator)
        if amount:
            self.bank.send(ctx, DISTRIBUTION, delegator, self._coins(ctx.store, amount))
            rewards = rewards.with_(outstanding=rewards.outstanding - amount)
            self.set_validator_rewards(ctx.store, operator, rewards)
        self.set_delegation_start(ctx.store, delegator, operator, rewards.reward_per_share)
        events.emit_withdraw_rewards(ctx, f"{amount}{self.denom(ctx.store)}", operator, delegator)
        return amount

    def withdraw_commission(self, ctx: Context, operator: bytes) -> int:
        """Pay the operator's accumulated commission to its account; returns the amount.

        Raises UNKNOWN_VALIDATOR, NO_VALIDATOR_COMMISSION (nothing accumulated).
        """
        self.require_validator(ctx.store, operator)
        rewards = self.validator_rewards(ctx.store, operator)
        if not rewards.commission:
            raise NO_VALIDATOR_COMMISSION(encode_validator_address(operator))
        amount = rewards.commission
        self.bank.send(ctx, DISTRIBUTION, operator, self._coins(ctx.store, amount))
        self.set_validator_rewards(ctx.store, operator, rewards.with_(commission=0))
        events.emit_withdraw_commission(ctx, f"{amount}{self.denom(ctx.store)}", operator)
        return amount

    # --- staking hooks -------------------------------------------------------------

    def after_validator_created(self, ctx: Context, operator: bytes) -> None:
        if ctx.store.get(keys.validator_rewards_key(operator)) is None:
            self.set_validator_rewards(ctx.store, operator, ValidatorRewards())

    def before_delegation_changed(self, ctx: Context, delegator: bytes, operator: bytes) -> None:
        """Settle what the delegation earned under its current shares."""
        if self.staking.delegation_shares(ctx.store, delegator, operator):
            self.withdraw_rewards(ctx, delegator, operator)

    def after_delegation_changed(self, ctx: Context, delegator: bytes, operator: bytes) -> None:
        """Start accruing under the new shares; when a validator's last share is gone, what
        its delegators left behind is rounding dust and goes to the community pool."""
        rewards = self.validator_rewards(ctx.store, operator)
        if self.staking.delegation_shares(ctx.store, delegator, operator):
            self.set_delegation_start(ctx.store, delegator, operator, rewards.reward_per_share)
        else:
            ctx.store.delete(keys.delegation_start_key(delegator, operator))
        validator = self.staking.validator(ctx.store, operator)
        if validator is not None and not validator.shares and rewards.outstanding:
            pool = self.community_pool(ctx.store)
            self.set_community_pool(ctx.store, pool + rewards.outstanding)
            self.set_validator_rewards(ctx.store, operator, rewards.with_(outstanding=0))
