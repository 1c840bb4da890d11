"""Staking state: views first, then the writes every handler and block hook goes through.

Token custody: a bonded validator's tokens sit in the bonded pool, an unbonded one's in
the not-bonded pool, and unbonding entries in the not-bonded pool until they mature.
"""

from __future__ import annotations

import json
from dataclasses import replace

from chain.coins import Coin, Coins
from chain.context import Context
from chain.crypto import (
    address_from_pubkey,
    encode_address,
    encode_validator_address,
    module_address,
)
from chain.module import ValidatorUpdate
from chain.store import KVStore, iterate_prefix, prefix_end
from x.staking import keys
from x.staking.errors import (
    INSUFFICIENT_SHARES,
    INVALID_AMOUNT,
    NO_TOKENS,
    TOO_MANY_ENTRIES,
    UNKNOWN_VALIDATOR,
)
from x.staking.expected import BankKeeper, StakingHooks
from x.staking.types import POWER_REDUCTION, RATE_ONE, BondStatus, Params, UnbondingEntry, Validator

BONDED_POOL = module_address("bonded_tokens_pool")
NOT_BONDED_POOL = module_address("not_bonded_tokens_pool")


class StakingKeeper:
    def __init__(self, bank: BankKeeper) -> None:
        self._bank = bank
        self.hooks: list[StakingHooks] = []

    # --- views ---------------------------------------------------------------------

    def params(self, store: KVStore) -> Params:
        raw = store.get(keys.PARAMS_KEY)
        return Params.from_json(json.loads(raw)) if raw else Params()

    def validator(self, store: KVStore, operator: bytes) -> Validator | None:
        raw = store.get(keys.validator_key(operator))
        return Validator.decode(raw) if raw is not None else None

    def require_validator(self, store: KVStore, operator: bytes) -> Validator:
        found = self.validator(store, operator)
        if found is None:
            raise UNKNOWN_VALIDATOR(encode_validator_address(operator))
        return found

    def validator_by_consensus_address(self, store: KVStore, address: bytes) -> Validator | None:
        operator = store.get(keys.consensus_key(address))
        return self.validator(store, operator) if operator is not None else None

    def validators(self, store: KVStore) -> list[Validator]:
        return [Validator.decode(raw) for _, raw in iterate_prefix(store, keys.VALIDATOR_PREFIX)]

    def last_powers(self, store: KVStore) -> dict[bytes, int]:
        """The bonded set as CometBFT last received it: operator → power."""
        skip = len(keys.LAST_POWER_PREFIX)
        return {
            key[skip:]: int.from_bytes(value, "big")
            for key, value in iterate_prefix(store, keys.LAST_POWER_PREFIX)
        }

    def delegation_shares(self, store: KVStore, delegator: bytes, operator: bytes) -> int:
        raw = store.get(keys.delegation_key(delegator, operator))
        return int.from_bytes(raw, "big") if raw else 0

    def delegations_of(self, store: KVStore, delegator: bytes) -> list[tuple[bytes, int]]:
        """(operator, shares) of one delegator, in operator order."""
        prefix = keys.DELEGATION_PREFIX + delegator
        return [
            (key[len(prefix) :], int.from_bytes(value, "big"))
            for key, value in iterate_prefix(store, prefix)
        ]

    def all_delegations(self, store: KVStore) -> list[tuple[bytes, bytes, int]]:
        """(delegator, operator, shares) for every delegation; genesis and invariants only."""
        skip = len(keys.DELEGATION_PREFIX)
        return [
            (key[skip : skip + 20], key[skip + 20 :], int.from_bytes(value, "big"))
            for key, value in iterate_prefix(store, keys.DELEGATION_PREFIX)
        ]

    def unbonding_entries(self, store: KVStore) -> list[UnbondingEntry]:
        return [
            UnbondingEntry.decode(v) for _, v in iterate_prefix(store, keys.UNBONDING_QUEUE_PREFIX)
        ]

    # --- writes --------------------------------------------------------------------

    def set_params(self, store: KVStore, params: Params) -> None:
        store.set(keys.PARAMS_KEY, json.dumps(params.to_json(), sort_keys=True).encode())

    def set_validator(self, store: KVStore, validator: Validator) -> None:
        """Store a validator and keep the power index in step with its tokens and jail state."""
        previous = self.validator(store, validator.operator)
        if previous is not None:
            store.delete(keys.power_index_key(previous.power, previous.operator))
        else:
            store.set(
                keys.consensus_key(address_from_pubkey(validator.consensus_pubkey)),
                validator.operator,
            )
        if not validator.jailed and validator.power > 0:
            store.set(keys.power_index_key(validator.power, validator.operator), b"")
        store.set(keys.validator_key(validator.operator), validator.encode())

    def _set_shares(self, store: KVStore, delegator: bytes, operator: bytes, shares: int) -> None:
        key = keys.delegation_key(delegator, operator)
        if shares:
            store.set(key, shares.to_bytes((shares.bit_length() + 7) // 8, "big"))
        else:
            store.delete(key)

    def _pool(self, validator: Validator) -> bytes:
        return BONDED_POOL if validator.status == BondStatus.BONDED else NOT_BONDED_POOL

    def _coins(self, store: KVStore, amount: int) -> Coins:
        return Coins.of([Coin(self.params(store).bond_denom, amount)])

    def delegate(
        self,
        ctx: Context,
        delegator: bytes,
        operator: bytes,
        amount: int,
        from_account: bool = True,
    ) -> int:
        """Bond amount to a validator; returns the new shares.

        Raises UNKNOWN_VALIDATOR, NO_TOKENS, INVALID_AMOUNT, INSUFFICIENT_FUNDS.
        """
        validator = self.require_validator(ctx.store, operator)
        if validator.shares and not validator.tokens:
            raise NO_TOKENS(f"{encode_validator_address(operator)} was slashed to zero")
        shares = validator.shares_for_tokens(amount)
        if shares <= 0:
            raise INVALID_AMOUNT(f"{amount} is too small to buy a share")
        for hook in self.hooks:
            hook.before_delegation_changed(ctx, delegator, operator)
        if from_account:
            self._bank.send(ctx, delegator, self._pool(validator), self._coins(ctx.store, amount))
        self.set_validator(
            ctx.store,
            validator.with_(tokens=validator.tokens + amount, shares=validator.shares + shares),
        )
        self._set_shares(
            ctx.store,
            delegator,
            operator,
            self.delegation_shares(ctx.store, delegator, operator) + shares,
        )
        for hook in self.hooks:
            hook.after_delegation_changed(ctx, delegator, operator)
        ctx.emit(
            "delegate",
            ("validator", encode_validator_address(operator)),
            ("delegator", encode_address(delegator)),
            ("amount", f"{amount}{self.params(ctx.store).bond_denom}"),
            ("new_shares", str(shares)),
        )
        return shares

    def _unbond(
        self, ctx: Context, delegator: bytes, operator: bytes, amount: int
    ) -> tuple[Validator, int]:
        """Remove amount tokens' worth of shares; returns the validator before and tokens out.

        Raises UNKNOWN_VALIDATOR, INVALID_AMOUNT, INSUFFICIENT_SHARES.
        """
        validator = self.require_validator(ctx.store, operator)
        held = self.delegation_shares(ctx.store, delegator, operator)
        if not validator.tokens:
            raise NO_TOKENS(f"{encode_validator_address(operator)} has no tokens to return")
        needed = -(-amount * validator.shares // validator.tokens)  # round up: never dilute others
        if amount <= 0:
            raise INVALID_AMOUNT("amount must be positive")
        if needed > held:
            raise INSUFFICIENT_SHARES(
                f"{encode_address(delegator)} has {validator.tokens_for_shares(held)} bonded to "
                f"{encode_validator_address(operator)}, asked for {amount}"
            )
        tokens_out = amount if needed < held else validator.tokens_for_shares(held)
        for hook in self.hooks:
            hook.before_delegation_changed(ctx, delegator, operator)
        self._set_shares(ctx.store, delegator, operator, held - needed)
        updated = validator.with_(
            tokens=validator.tokens - tokens_out, shares=validator.shares - needed
        )
        if (
            delegator == operator
            and updated.tokens_for_shares(held - needed) < validator.min_self_delegation
        ):
            updated = updated.with_(jailed=True)  # below its own promise: out of the set
        self.set_validator(ctx.store, updated)
        for hook in self.hooks:
            hook.after_delegation_changed(ctx, delegator, operator)
        return validator, tokens_out

    def undelegate(self, ctx: Context, delegator: bytes, operator: bytes, amount: int) -> int:
        """Start unbonding amount; the tokens return after unbonding_blocks. Returns the
        completion height. Raises as _unbond, and TOO_MANY_ENTRIES."""
        params = self.params(ctx.store)
        pending = [
            e
            for e in self.unbonding_entries(ctx.store)
            if e.delegator == delegator and e.operator == operator
        ]
        if len(pending) >= params.max_unbonding_entries:
            raise TOO_MANY_ENTRIES(f"{len(pending)} unbondings already pending with this validator")
        validator, tokens = self._unbond(ctx, delegator, operator, amount)
        if validator.status == BondStatus.BONDED:
            self._bank.send(ctx, BONDED_POOL, NOT_BONDED_POOL, self._coins(ctx.store, tokens))
        completion = ctx.height + params.unbonding_blocks
        sequence = int.from_bytes(ctx.store.get(keys.NEXT_UNBONDING_KEY) or b"", "big")
        ctx.store.set(keys.NEXT_UNBONDING_KEY, keys.u64(sequence + 1))
        entry = UnbondingEntry(delegator, operator, ctx.height, completion, tokens, tokens)
        ctx.store.set(keys.unbonding_queue_key(completion, sequence), entry.encode())
        ctx.store.set(keys.unbonding_by_validator_key(operator, completion, sequence), b"")
        ctx.emit(
            "unbond",
            ("validator", encode_validator_address(operator)),
            ("delegator", encode_address(delegator)),
            ("amount", f"{tokens}{params.bond_denom}"),
            ("completion_height", str(completion)),
        )
        return completion

    def redelegate(
        self, ctx: Context, delegator: bytes, source: bytes, destination: bytes, amount: int
    ) -> None:
        """Move a bond between validators at once (no unbonding period)."""
        target = self.require_validator(ctx.store, destination)
        validator, tokens = self._unbond(ctx, delegator, source, amount)
        if self._pool(validator) != self._pool(target):
            self._bank.send(
                ctx, self._pool(validator), self._pool(target), self._coins(ctx.store, tokens)
            )
        self.delegate(ctx, delegator, destination, tokens, from_account=False)
        ctx.emit(
            "redelegate",
            ("source_validator", encode_validator_address(source)),
            ("destination_validator", encode_validator_address(destination)),
            ("amount", f"{tokens}{self.params(ctx.store).bond_denom}"),
        )

    def complete_unbondings(self, ctx: Context) -> None:
        """Pay out every unbonding entry that matures at or before this height."""
        end = keys.UNBONDING_QUEUE_PREFIX + keys.u64(ctx.height + 1)
        matured = list(ctx.store.iterate(keys.UNBONDING_QUEUE_PREFIX, end))
        denom = self.params(ctx.store).bond_denom
        for key, raw in matured:
            entry = UnbondingEntry.decode(raw)
            sequence = int.from_bytes(key[-8:], "big")
            ctx.store.delete(key)
            ctx.store.delete(
                keys.unbonding_by_validator_key(entry.operator, entry.completion_height, sequence)
            )
            if entry.balance:
                self._bank.send(
                    ctx, NOT_BONDED_POOL, entry.delegator, self._coins(ctx.store, entry.balance)
                )
            ctx.emit(
                "complete_unbonding",
                ("validator", encode_validator_address(entry.operator)),
                ("delegator", encode_address(entry.delegator)),
                ("amount", f"{entry.balance}{denom}"),
            )

    def apply_validator_set(self, ctx: Context) -> list[ValidatorUpdate]:
        """Bond the strongest `max_validators`, unbond the rest; returns changes for CometBFT."""
        params = self.params(ctx.store)
        chosen: dict[bytes, int] = {}
        for key, _ in ctx.store.iterate(
            keys.POWER_INDEX_PREFIX, prefix_end(keys.POWER_INDEX_PREFIX)
        ):
            if len(chosen) == params.max_validators:
                break
            skip = len(keys.POWER_INDEX_PREFIX)
            power = keys.MAX_POWER - int.from_bytes(key[skip : skip + 8], "big")
            chosen[key[skip + 8 :]] = power
        last = self.last_powers(ctx.store)
        updates = []
        for operator in sorted(set(chosen) | set(last)):
            power = chosen.get(operator, 0)
            if power == last.get(operator, 0):
                continue
            validator = self.require_validator(ctx.store, operator)
            updates.append(ValidatorUpdate(validator.consensus_pubkey, power))
            if power and validator.status != BondStatus.BONDED:
                self._move_all(ctx, validator, BondStatus.BONDED)
            elif not power and validator.status == BondStatus.BONDED:
                self._move_all(ctx, validator, BondStatus.UNBONDED)
            if power:
                ctx.store.set(keys.last_power_key(operator), keys.u64(power))
            else:
                ctx.store.delete(keys.last_power_key(operator))
        return updates

    def _move_all(self, ctx: Context, validator: Validator, status: BondStatus) -> None:
        moved = validator.with_(status=status)
        if validator.tokens:
            self._bank.send(
                ctx,
                self._pool(validator),
                self._pool(moved),
                self._coins(ctx.store, validator.tokens),
            )
        self.set_validator(ctx.store, moved)
        ctx.emit(
            "validator_status",
            ("validator", encode_validator_address(validator.operator)),
            ("status", status.name.lower()),
        )

    def jail(self, ctx: Context, operator: bytes) -> None:
        validator = self.require_validator(ctx.store, operator)
        if not validator.jailed:
            self.set_validator(ctx.store, validator.with_(jailed=True))

    def unjail(self, ctx: Context, operator: bytes) -> None:
        validator = self.require_validator(ctx.store, operator)
        if validator.jailed:
            self.set_validator(ctx.store, validator.with_(jailed=False))

    def slash(
        self, ctx: Context, operator: bytes, infraction_height: int, power: int, fraction: int
    ) -> int:
        """Burn `fraction` (18-decimal) of the stake the validator had at the infraction,
        taking first from unbonding entries created since then; returns the tokens burned."""
        validator = self.require_validator(ctx.store, operator)
        remaining = power * POWER_REDUCTION * fraction // RATE_ONE
        burned = 0
        prefix = keys.UNBONDING_BY_VALIDATOR_PREFIX + operator
        for key, _ in list(iterate_prefix(ctx.store, prefix)):
            completion, sequence = key[len(prefix) : len(prefix) + 8], key[len(prefix) + 8 :]
            queue_key = keys.UNBONDING_QUEUE_PREFIX + completion + sequence
            entry = UnbondingEntry.decode(ctx.store.get(queue_key) or b"{}")
            if entry.creation_height < infraction_height or not entry.balance:
                continue
            cut = min(entry.balance, entry.initial_balance * fraction // RATE_ONE, remaining)
            if cut:
                self._bank.burn(ctx, NOT_BONDED_POOL, self._coins(ctx.store, cut))
                ctx.store.set(queue_key, replace(entry, balance=entry.balance - cut).encode())
                remaining -= cut
                burned += cut
        cut = min(remaining, validator.tokens)
        if cut:
            self._bank.burn(ctx, self._pool(validator), self._coins(ctx.store, cut))
            self.set_validator(ctx.store, validator.with_(tokens=validator.tokens - cut))
            burned += cut
        ctx.emit(
            "slash",
            ("validator", encode_validator_address(operator)),
            ("infraction_height", str(infraction_height)),
            ("burned", str(burned)),
        )
        return burned
