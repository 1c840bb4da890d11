"""Slashing state: views first, then the writes the block hook and MsgUnjail go through.

Every per-block cost is O(1) per vote: one signing-info read and write and at most one
missed-block key. Clearing a validator's window (on a downtime jail, or when it enters
the set) costs at most `signed_blocks_window` deletes, once per jail or bonding.
"""

from __future__ import annotations

from chain.context import Context, Misbehavior
from chain.crypto import address_from_pubkey
from chain.params import get_params, set_params
from chain.store import KVStore, decode_uint, iterate_prefix
from x.slashing import events, keys
from x.slashing.expected import StakingKeeper, Validator
from x.slashing.types import JAILED_FOREVER, VALIDATOR_UPDATE_DELAY, Params, SigningInfo

EVIDENCE_KINDS = ("DUPLICATE_VOTE", "LIGHT_CLIENT_ATTACK")


class SlashingKeeper:
    def __init__(self, staking: StakingKeeper) -> None:
        self._staking = staking

    # --- views ---------------------------------------------------------------------

    @property
    def staking(self) -> StakingKeeper:
        return self._staking

    def params(self, store: KVStore) -> Params:
        return get_params(store, keys.PARAMS_KEY, Params)

    def signing_info(self, store: KVStore, address: bytes) -> SigningInfo | None:
        raw = store.get(keys.signing_info_key(address))
        return SigningInfo.decode(raw) if raw is not None else None

    def signing_infos(self, store: KVStore) -> list[SigningInfo]:
        """Every signing info in consensus-address order."""
        return [
            SigningInfo.decode(raw) for _, raw in iterate_prefix(store, keys.SIGNING_INFO_PREFIX)
        ]

    def missed(self, store: KVStore, address: bytes, index: int) -> bool:
        return store.get(keys.missed_block_key(address, index)) is not None

    def missed_indices(self, store: KVStore, address: bytes) -> list[int]:
        """The window slots this validator missed, ascending."""
        prefix = keys.missed_blocks_prefix(address)
        return [decode_uint(key[len(prefix) :]) for key, _ in iterate_prefix(store, prefix)]

    def all_missed(self, store: KVStore) -> list[tuple[bytes, int]]:
        """(consensus address, slot) of every missed block on record; genesis and invariants."""
        skip = len(keys.MISSED_BLOCK_PREFIX)
        return [
            (key[skip : skip + 20], decode_uint(key[skip + 20 :]))
            for key, _ in iterate_prefix(store, keys.MISSED_BLOCK_PREFIX)
        ]

    @staticmethod
    def consensus_address(validator: Validator) -> bytes:
        return address_from_pubkey(validator.consensus_pubkey)

    # --- writes --------------------------------------------------------------------

    def set_params(self, store: KVStore, params: Params) -> None:
        set_params(store, keys.PARAMS_KEY, params)

    def set_signing_info(self, store: KVStore, info: SigningInfo) -> None:
        store.set(keys.signing_info_key(info.address), info.encode())

    def set_missed(self, store: KVStore, address: bytes, index: int, missed: bool) -> None:
        key = keys.missed_block_key(address, index)
        if missed:
            store.set(key, keys.MISSED)
        else:
            store.delete(key)

    def clear_missed(self, store: KVStore, address: bytes) -> None:
        for key, _ in list(iterate_prefix(store, keys.missed_blocks_prefix(address))):
            store.delete(key)

    def handle_double_sign(self, ctx: Context, params: Params, evidence: Misbehavior) -> None:
        """Slash the double-sign fraction of the stake bonded at the infraction, jail the
        validator and tombstone it, so it can never unjail. Evidence of an unknown kind,
        older than the consensus evidence max age (in blocks and in time), or against an
        unknown, UNBONDED or already tombstoned validator changes nothing (Cosmos's
        x/evidence). Stake that left the validator from the block before the infraction
        on is slashed too: that block chose the set that signed twice."""
        if evidence.kind not in EVIDENCE_KINDS or not 0 < evidence.height <= ctx.height:
            return
        if ctx.block.evidence.is_stale(evidence, ctx.height, ctx.block_time_ns):
            return
        validator = self._staking.validator_by_consensus_address(
            ctx.store, evidence.validator_address
        )
        if validator is None or validator.is_unbonded:
            return
        address = evidence.validator_address
        info = self.signing_info(ctx.store, address) or SigningInfo(address, ctx.height)
        if info.tombstoned:
            return
        burned = self._staking.slash(
            ctx,
            validator.operator,
            max(evidence.height - VALIDATOR_UPDATE_DELAY, 0),
            evidence.power,
            params.slash_fraction_double_sign,
        )
        events.emit_slash(
            ctx, address, validator.operator, evidence.power, events.REASON_DOUBLE_SIGN, burned
        )
        self._staking.jail(ctx, validator.operator)
        events.emit_jail(
            ctx, address, validator.operator, events.REASON_DOUBLE_SIGN, JAILED_FOREVER
        )
        self.set_signing_info(ctx.store, info.with_(tombstoned=True, jailed_until=JAILED_FOREVER))

    def handle_signature(
        self, ctx: Context, params: Params, address: bytes, power: int, signed: bool
    ) -> None:
        """Record whether a validator signed the last block; one that missed more than
        `max_missed_blocks` of its window, past its first window, is slashed the downtime
        fraction and jailed for `downtime_jail_blocks`. Jailed and unknown validators'
        votes are not counted (a jailed one still shows in the commit for a block or two)."""
        validator = self._staking.validator_by_consensus_address(ctx.store, address)
        if validator is None or validator.jailed:
            return
        info = self.signing_info(ctx.store, address) or SigningInfo(address, ctx.height)
        index = info.index_offset % params.signed_blocks_window
        counter = info.missed_blocks_counter
        missed = not signed
        previous = self.missed(ctx.store, address, index)
        if missed != previous:
            self.set_missed(ctx.store, address, index, missed)
            counter += 1 if missed else -1
        info = info.with_(index_offset=info.index_offset + 1, missed_blocks_counter=counter)
        if missed:
            events.emit_liveness(ctx, address, counter)
        past_first_window = ctx.height > info.start_height + params.signed_blocks_window
        if past_first_window and counter > params.max_missed_blocks:
            info = self._jail_for_downtime(ctx, params, validator, info, power)
        self.set_signing_info(ctx.store, info)

    def _jail_for_downtime(
        self, ctx: Context, params: Params, validator: Validator, info: SigningInfo, power: int
    ) -> SigningInfo:
        infraction_height = max(ctx.height - VALIDATOR_UPDATE_DELAY - 1, 0)
        burned = self._staking.slash(
            ctx, validator.operator, infraction_height, power, params.slash_fraction_downtime
        )
        events.emit_slash(
            ctx, info.address, validator.operator, power, events.REASON_MISSING_SIGNATURE, burned
        )
        self._staking.jail(ctx, validator.operator)
        until = ctx.height + params.downtime_jail_blocks
        events.emit_jail(
            ctx, info.address, validator.operator, events.REASON_MISSING_SIGNATURE, until
        )
        self.clear_missed(ctx.store, info.address)
        return info.with_(jailed_until=until, missed_blocks_counter=0, index_offset=0)

    def unjail(self, ctx: Context, validator: Validator) -> None:
        """Return a jailed validator to the candidates; end-block bonds it again if its power
        ranks, and its liveness window restarts then (after_validator_bonded)."""
        self._staking.unjail(ctx, validator.operator)
        events.emit_unjail(ctx, validator.operator)

    # --- staking hooks -------------------------------------------------------------

    def after_validator_bonded(self, ctx: Context, operator: bytes) -> None:
        """A validator entering (or re-entering) the set starts a fresh liveness window:
        blocks missed before it left are forgotten, and a whole window must pass before
        missing blocks can jail it (Cosmos resets only the start height; we also clear
        the old slots, at most signed_blocks_window deletes once per bonding)."""
        validator = self._staking.validator(ctx.store, operator)
        if validator is None:
            return
        address = self.consensus_address(validator)
        info = self.signing_info(ctx.store, address)
        if info is not None and info.tombstoned:
            return
        if info is not None and info.missed_blocks_counter:
            self.clear_missed(ctx.store, address)
        restarted = SigningInfo(address, ctx.height)
        if info is not None:
            restarted = info.with_(start_height=ctx.height, index_offset=0, missed_blocks_counter=0)
        self.set_signing_info(ctx.store, restarted)

    def after_validator_begin_unbonding(self, ctx: Context, operator: bytes) -> None:
        """Nothing to record: a validator out of the set is in no commit, so no vote of its
        is counted until it bonds again."""
