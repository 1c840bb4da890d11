"""Staking state: views first, then the writes every handler and block hook goes through.

Token custody: a bonded validator's tokens sit in the bonded pool, an unbonding or unbonded
one's in the not-bonded pool, and unbonding entries in the not-bonded pool until they
mature. Redelegated tokens are at their destination at once; the redelegation entry only
keeps them answerable for the source's faults until the unbonding period ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar

from chain.coins import Coin, Coins
from chain.context import Context
from chain.crypto import (
    address_from_pubkey,
    encode_address,
    encode_validator_address,
    module_address,
)
from chain.module import ValidatorUpdate
from chain.params import get_params, set_params
from chain.store import KVStore, decode_uint, encode_uint, iterate_prefix, prefix_end
from x.staking import events, keys
from x.staking.errors import (
    INSUFFICIENT_SHARES,
    INVALID_AMOUNT,
    NO_TOKENS,
    TOO_MANY_ENTRIES,
    TRANSITIVE_REDELEGATION,
    UNKNOWN_VALIDATOR,
)
from x.staking.expected import BankKeeper, StakingHooks, ValidatorStatusHooks
from x.staking.types import (
    BONDED_POOL_NAME,
    NOT_BONDED_POOL_NAME,
    POWER_REDUCTION,
    RATE_ONE,
    BondStatus,
    Params,
    RedelegationEntry,
    UnbondingEntry,
    Validator,
)

BONDED_POOL = module_address(BONDED_POOL_NAME)
NOT_BONDED_POOL = module_address(NOT_BONDED_POOL_NAME)


class Entry(Protocol):
    @property
    def completion_height(self) -> int: ...

    def encode(self) -> bytes: ...


EntryT = TypeVar("EntryT", bound=Entry)


@dataclass(frozen=True)
class EntryQueue(Generic[EntryT]):
    """Entries by completion height, plus index keys naming who they belong to; an index
    key ends with the entry's id, so a prefix scan finds one owner's entries only."""

    prefix: bytes
    decode: Callable[[bytes], EntryT]
    indices: Callable[[EntryT], tuple[bytes, ...]]

    def add(self, store: KVStore, entry: EntryT, sequence: int) -> None:
        entry_id = keys.entry_id(entry.completion_height, sequence)
        store.set(self.prefix + entry_id, entry.encode())
        for index in self.indices(entry):
            store.set(index + entry_id, b"")

    def replace(self, store: KVStore, entry_id: bytes, entry: EntryT) -> None:
        store.set(self.prefix + entry_id, entry.encode())

    def remove(self, store: KVStore, entry_id: bytes, entry: EntryT) -> None:
        store.delete(self.prefix + entry_id)
        for index in self.indices(entry):
            store.delete(index + entry_id)

    def indexed(self, store: KVStore, index_prefix: bytes) -> list[tuple[bytes, EntryT]]:
        """(id, entry) of every entry under one index prefix, in key order."""
        found = []
        for key, _ in list(iterate_prefix(store, index_prefix)):
            entry_id = key[-keys.ENTRY_ID_LENGTH :]
            found.append((entry_id, self.decode(store.get(self.prefix + entry_id) or b"")))
        return found

    def count(self, store: KVStore, index_prefix: bytes) -> int:
        return sum(1 for _ in iterate_prefix(store, index_prefix))

    def matured(self, store: KVStore, height: int) -> list[tuple[bytes, EntryT]]:
        """Entries completing at or before height, oldest first."""
        end = self.prefix + encode_uint(height + 1, 8)
        skip = len(self.prefix)
        return [(key[skip:], self.decode(raw)) for key, raw in store.iterate(self.prefix, end)]

    def all(self, store: KVStore) -> list[EntryT]:
        return [self.decode(raw) for _, raw in iterate_prefix(store, self.prefix)]


UNBONDINGS = EntryQueue(
    keys.UNBONDING_QUEUE_PREFIX,
    UnbondingEntry.decode,
    lambda e: (
        keys.unbonding_by_validator_prefix(e.operator),
        keys.unbonding_by_pair_prefix(e.delegator, e.operator),
    ),
)
REDELEGATIONS = EntryQueue(
    keys.REDELEGATION_QUEUE_PREFIX,
    RedelegationEntry.decode,
    lambda e: (
        keys.redelegation_by_source_prefix(e.source),
        keys.redelegation_by_trio_prefix(e.delegator, e.source, e.destination),
        keys.redelegation_by_destination_prefix(e.delegator, e.destination),
    ),
)


class StakingKeeper:
    def __init__(self, bank: BankKeeper) -> None:
        self._bank = bank
        self.hooks: list[StakingHooks] = []
        self.status_hooks: list[ValidatorStatusHooks] = []

    # --- views ---------------------------------------------------------------------

    def params(self, store: KVStore) -> Params:
        return get_params(store, keys.PARAMS_KEY, Params)

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
            key[skip:]: decode_uint(value)
            for key, value in iterate_prefix(store, keys.LAST_POWER_PREFIX)
        }

    def pool(self, store: KVStore) -> tuple[int, int]:
        """Bond-denom tokens held for bonded validators, and for the rest (unbonding,
        unbonded, and unbonding delegations)."""
        denom = self.params(store).bond_denom
        return (
            self._bank.balance(store, BONDED_POOL, denom),
            self._bank.balance(store, NOT_BONDED_POOL, denom),
        )

    def delegation_shares(self, store: KVStore, delegator: bytes, operator: bytes) -> int:
        raw = store.get(keys.delegation_key(delegator, operator))
        return decode_uint(raw)

    def delegations_of(self, store: KVStore, delegator: bytes) -> list[tuple[bytes, int]]:
        """(operator, shares) of one delegator, in operator order."""
        prefix = keys.DELEGATION_PREFIX + delegator
        return [
            (key[len(prefix) :], decode_uint(value)) for key, value in iterate_prefix(store, prefix)
        ]

    def all_delegations(self, store: KVStore) -> list[tuple[bytes, bytes, int]]:
        """(delegator, operator, shares) for every delegation; genesis and invariants only."""
        skip = len(keys.DELEGATION_PREFIX)
        return [
            (key[skip : skip + 20], key[skip + 20 :], decode_uint(value))
            for key, value in iterate_prefix(store, keys.DELEGATION_PREFIX)
        ]

    def unbonding_entries(self, store: KVStore) -> list[UnbondingEntry]:
        """Every pending unbonding, by completion height; genesis and invariants only."""
        return UNBONDINGS.all(store)

    def unbonding_entries_of(self, store: KVStore, delegator: bytes) -> list[UnbondingEntry]:
        """One delegator's pending unbondings, by validator then completion height."""
        prefix = keys.UNBONDING_BY_PAIR_PREFIX + delegator
        return [entry for _, entry in UNBONDINGS.indexed(store, prefix)]

    def redelegation_entries(self, store: KVStore) -> list[RedelegationEntry]:
        """Every redelegation still answerable for its source; genesis and invariants only."""
        return REDELEGATIONS.all(store)

    def redelegation_entries_of(self, store: KVStore, delegator: bytes) -> list[RedelegationEntry]:
        """One delegator's redelegations in transit, by source, destination, completion."""
        prefix = keys.REDELEGATION_BY_TRIO_PREFIX + delegator
        return [entry for _, entry in REDELEGATIONS.indexed(store, prefix)]

    # --- writes --------------------------------------------------------------------

    def set_params(self, store: KVStore, params: Params) -> None:
        set_params(store, keys.PARAMS_KEY, params)

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

    def add_unbonding_entry(self, store: KVStore, entry: UnbondingEntry) -> None:
        UNBONDINGS.add(store, entry, self._next_sequence(store))

    def add_redelegation_entry(self, store: KVStore, entry: RedelegationEntry) -> None:
        REDELEGATIONS.add(store, entry, self._next_sequence(store))

    def _next_sequence(self, store: KVStore) -> int:
        sequence = decode_uint(store.get(keys.NEXT_ENTRY_KEY))
        store.set(keys.NEXT_ENTRY_KEY, encode_uint(sequence + 1, 8))
        return sequence

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
        events.emit_delegate(
            ctx, operator, delegator, f"{amount}{self.params(ctx.store).bond_denom}", shares
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
        self._remove_shares(ctx, validator, delegator, needed, tokens_out)
        return validator, tokens_out

    def _remove_shares(
        self, ctx: Context, validator: Validator, delegator: bytes, shares: int, tokens: int
    ) -> None:
        """Take shares (worth tokens) from a delegation and the validator; a self delegation
        that drops below the validator's own minimum jails it."""
        operator = validator.operator
        held = self.delegation_shares(ctx.store, delegator, operator)
        for hook in self.hooks:
            hook.before_delegation_changed(ctx, delegator, operator)
        self._set_shares(ctx.store, delegator, operator, held - shares)
        updated = validator.with_(
            tokens=validator.tokens - tokens, shares=validator.shares - shares
        )
        if (
            delegator == operator
            and updated.tokens_for_shares(held - shares) < validator.min_self_delegation
        ):
            updated = updated.with_(jailed=True)  # below its own promise: out of the set
        self.set_validator(ctx.store, updated)
        for hook in self.hooks:
            hook.after_delegation_changed(ctx, delegator, operator)

    def undelegate(self, ctx: Context, delegator: bytes, operator: bytes, amount: int) -> int:
        """Start unbonding amount; the tokens return after unbonding_blocks. Returns the
        completion height. Raises as _unbond, and TOO_MANY_ENTRIES."""
        params = self.params(ctx.store)
        pending = UNBONDINGS.count(ctx.store, keys.unbonding_by_pair_prefix(delegator, operator))
        if pending >= params.max_entries:
            raise TOO_MANY_ENTRIES(f"{pending} unbondings already pending with this validator")
        validator, tokens = self._unbond(ctx, delegator, operator, amount)
        if validator.status == BondStatus.BONDED:
            self._bank.send(ctx, BONDED_POOL, NOT_BONDED_POOL, self._coins(ctx.store, tokens))
        completion = ctx.height + params.unbonding_blocks
        self.add_unbonding_entry(
            ctx.store, UnbondingEntry(delegator, operator, ctx.height, completion, tokens, tokens)
        )
        events.emit_unbond(ctx, operator, delegator, f"{tokens}{params.bond_denom}", completion)
        return completion

    def redelegate(
        self, ctx: Context, delegator: bytes, source: bytes, destination: bytes, amount: int
    ) -> int:
        """Move a bond between validators at once, leaving an entry that keeps the moved
        stake slashable for the source's faults until the source's unbonding period ends.
        Returns that completion height (0: the source is unbonded, no entry is needed).

        Raises UNKNOWN_VALIDATOR, TRANSITIVE_REDELEGATION (the stake itself arrived at the
        source by a redelegation still in transit), TOO_MANY_ENTRIES, and as _unbond.
        """
        target = self.require_validator(ctx.store, destination)
        params = self.params(ctx.store)
        arriving = keys.redelegation_by_destination_prefix(delegator, source)
        if REDELEGATIONS.count(ctx.store, arriving):
            raise TRANSITIVE_REDELEGATION(
                f"{encode_address(delegator)} has stake redelegated to "
                f"{encode_validator_address(source)} still in transit"
            )
        trio = keys.redelegation_by_trio_prefix(delegator, source, destination)
        pending = REDELEGATIONS.count(ctx.store, trio)
        if pending >= params.max_entries:
            raise TOO_MANY_ENTRIES(f"{pending} redelegations already pending on this route")
        validator, tokens = self._unbond(ctx, delegator, source, amount)
        if self._pool(validator) != self._pool(target):
            self._bank.send(
                ctx, self._pool(validator), self._pool(target), self._coins(ctx.store, tokens)
            )
        shares = self.delegate(ctx, delegator, destination, tokens, from_account=False)
        if validator.status == BondStatus.BONDED:
            creation, completion = ctx.height, ctx.height + params.unbonding_blocks
        else:
            creation = validator.unbonding_height
            completion = 0 if validator.is_unbonded else validator.unbonding_completion_height
        if completion:
            self.add_redelegation_entry(
                ctx.store,
                RedelegationEntry(
                    delegator, source, destination, creation, completion, tokens, shares
                ),
            )
        events.emit_redelegate(ctx, source, destination, f"{tokens}{params.bond_denom}", completion)
        return completion

    def complete_unbondings(self, ctx: Context) -> None:
        """Pay out every unbonding entry that matures at or before this height."""
        denom = self.params(ctx.store).bond_denom
        for entry_id, entry in UNBONDINGS.matured(ctx.store, ctx.height):
            UNBONDINGS.remove(ctx.store, entry_id, entry)
            if entry.balance:
                self._bank.send(
                    ctx, NOT_BONDED_POOL, entry.delegator, self._coins(ctx.store, entry.balance)
                )
            events.emit_complete_unbonding(
                ctx, entry.operator, entry.delegator, f"{entry.balance}{denom}"
            )

    def complete_redelegations(self, ctx: Context) -> None:
        """Forget redelegations whose source's unbonding period has passed: the moved stake
        no longer answers for the source's faults."""
        for entry_id, entry in REDELEGATIONS.matured(ctx.store, ctx.height):
            REDELEGATIONS.remove(ctx.store, entry_id, entry)
            events.emit_complete_redelegation(ctx, entry.source, entry.destination, entry.delegator)

    def complete_unbonding_validators(self, ctx: Context) -> None:
        """Validators whose unbonding period ends now become UNBONDED: evidence against
        them is ignored from here on."""
        end = keys.VALIDATOR_QUEUE_PREFIX + encode_uint(ctx.height + 1, 8)
        skip = len(keys.VALIDATOR_QUEUE_PREFIX) + 8
        for key, _ in list(ctx.store.iterate(keys.VALIDATOR_QUEUE_PREFIX, end)):
            ctx.store.delete(key)
            validator = self.require_validator(ctx.store, key[skip:])
            self.set_validator(ctx.store, validator.with_(status=BondStatus.UNBONDED))
            self._emit_status(ctx, validator.operator, BondStatus.UNBONDED)

    def apply_validator_set(self, ctx: Context) -> list[ValidatorUpdate]:
        """Bond the strongest `max_validators`, start unbonding the rest; returns changes
        for CometBFT."""
        params = self.params(ctx.store)
        chosen: dict[bytes, int] = {}
        for key, _ in ctx.store.iterate(
            keys.POWER_INDEX_PREFIX, prefix_end(keys.POWER_INDEX_PREFIX)
        ):
            if len(chosen) == params.max_validators:
                break
            skip = len(keys.POWER_INDEX_PREFIX)
            power = keys.MAX_POWER - decode_uint(key[skip : skip + 8])
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
                self._bond(ctx, validator)
            elif not power and validator.status == BondStatus.BONDED:
                self._begin_unbonding(ctx, validator, params)
            if power:
                ctx.store.set(keys.last_power_key(operator), encode_uint(power, 8))
            else:
                ctx.store.delete(keys.last_power_key(operator))
        return updates

    def _bond(self, ctx: Context, validator: Validator) -> None:
        """Enter the active set (from UNBONDING or UNBONDED): stake to the bonded pool."""
        if validator.status == BondStatus.UNBONDING:
            ctx.store.delete(
                keys.validator_queue_key(validator.unbonding_completion_height, validator.operator)
            )
        self._move_tokens(ctx, validator, validator.with_(status=BondStatus.BONDED))
        for hook in self.status_hooks:
            hook.after_validator_bonded(ctx, validator.operator)

    def _begin_unbonding(self, ctx: Context, validator: Validator, params: Params) -> None:
        """Leave the active set: the stake stays slashable for the unbonding period."""
        completion = ctx.height + params.unbonding_blocks
        unbonding = validator.with_(
            status=BondStatus.UNBONDING,
            unbonding_height=ctx.height,
            unbonding_completion_height=completion,
        )
        self._move_tokens(ctx, validator, unbonding)
        ctx.store.set(keys.validator_queue_key(completion, validator.operator), b"")
        for hook in self.status_hooks:
            hook.after_validator_begin_unbonding(ctx, validator.operator)

    def _move_tokens(self, ctx: Context, validator: Validator, moved: Validator) -> None:
        if validator.tokens and self._pool(validator) != self._pool(moved):
            self._bank.send(
                ctx,
                self._pool(validator),
                self._pool(moved),
                self._coins(ctx.store, validator.tokens),
            )
        self.set_validator(ctx.store, moved)
        self._emit_status(ctx, validator.operator, moved.status)

    def _emit_status(self, ctx: Context, operator: bytes, status: BondStatus) -> None:
        events.emit_validator_status(ctx, operator, status.name.lower())

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
        """Burn `fraction` (18-decimal) of the stake the validator had at the infraction:
        unbonding entries and redelegations away from it created at or after
        infraction_height (each by the fraction of its initial balance) first, the rest
        from the validator's tokens. Returns the tokens burned; an UNBONDED validator has
        nothing left to answer for and burns nothing (Cosmos's x/staking Slash)."""
        validator = self.require_validator(ctx.store, operator)
        if validator.is_unbonded:
            return 0
        remaining = power * POWER_REDUCTION * fraction // RATE_ONE
        burned = 0
        if infraction_height < ctx.height:
            for entry_id, unbonding in UNBONDINGS.indexed(
                ctx.store, keys.unbonding_by_validator_prefix(operator)
            ):
                if self._answers_for(ctx, unbonding, infraction_height):
                    due = unbonding.initial_balance * fraction // RATE_ONE
                    remaining -= due
                    cut = min(due, unbonding.balance)
                    if cut:
                        self._bank.burn(ctx, NOT_BONDED_POOL, self._coins(ctx.store, cut))
                        UNBONDINGS.replace(
                            ctx.store, entry_id, replace(unbonding, balance=unbonding.balance - cut)
                        )
                        burned += cut
            for _, moved in REDELEGATIONS.indexed(
                ctx.store, keys.redelegation_by_source_prefix(operator)
            ):
                if self._answers_for(ctx, moved, infraction_height):
                    remaining -= moved.initial_balance * fraction // RATE_ONE
                    burned += self._slash_redelegation(ctx, moved, fraction)
        validator = self.require_validator(ctx.store, operator)
        cut = max(0, min(remaining, validator.tokens))
        if cut:
            self._bank.burn(ctx, self._pool(validator), self._coins(ctx.store, cut))
            self.set_validator(ctx.store, validator.with_(tokens=validator.tokens - cut))
            burned += cut
        events.emit_slash(ctx, operator, infraction_height, burned)
        return burned

    @staticmethod
    def _answers_for(
        ctx: Context, entry: UnbondingEntry | RedelegationEntry, infraction_height: int
    ) -> bool:
        """Stake that left at or after the infraction, and whose period has not ended."""
        return entry.creation_height >= infraction_height and entry.completion_height > ctx.height

    def _slash_redelegation(self, ctx: Context, moved: RedelegationEntry, fraction: int) -> int:
        """Unbond and burn fraction of the shares the redelegation bought at its destination
        (no more than the delegator still holds there); returns the tokens burned."""
        held = self.delegation_shares(ctx.store, moved.delegator, moved.destination)
        shares = min(moved.destination_shares * fraction // RATE_ONE, held)
        if not shares:
            return 0
        destination = self.require_validator(ctx.store, moved.destination)
        tokens = destination.tokens_for_shares(shares)
        self._remove_shares(ctx, destination, moved.delegator, shares, tokens)
        if tokens:
            self._bank.burn(ctx, self._pool(destination), self._coins(ctx.store, tokens))
        return tokens
