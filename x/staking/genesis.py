"""staking genesis: params plus, for an exported chain, validators, delegations, unbondings,
redelegations and the last validator set. New chains leave those empty and bond validators
with gentxs."""

from __future__ import annotations

import json
from typing import Any

from chain.context import Context, EvidenceParams
from chain.crypto import encode_address, encode_validator_address
from chain.msgs import account_address, validator_address
from chain.store import KVStore, encode_uint
from x.staking import keys
from x.staking.errors import INVALID_GENESIS
from x.staking.keeper import StakingKeeper
from x.staking.types import BondStatus, Params, RedelegationEntry, UnbondingEntry, Validator


def default_genesis() -> dict[str, Any]:
    return {"params": Params().to_json()}


def validate_genesis(state: dict[str, Any]) -> None:
    Params.from_json(state.get("params", {}))
    for entry in state.get("delegations", []):
        account_address(entry["delegator"], "staking.delegations.delegator")
        validator_address(entry["validator"], "staking.delegations.validator")


def validate_evidence_age(state: dict[str, Any], evidence: EvidenceParams) -> None:
    """Refuse an unbonding period shorter than the evidence max age: stake could leave
    before the evidence against its validator arrives. Raises INVALID_GENESIS."""
    unbonding = Params.from_json(state.get("params", {})).unbonding_blocks
    if unbonding < evidence.max_age_blocks:
        raise INVALID_GENESIS(
            f"staking.params.unbonding_blocks {unbonding} is shorter than "
            f"consensus_params.evidence.max_age_num_blocks {evidence.max_age_blocks}"
        )


def init_genesis(ctx: Context, keeper: StakingKeeper, state: dict[str, Any]) -> None:
    keeper.set_params(ctx.store, Params.from_json(state.get("params", {})))
    for raw in state.get("validators", []):
        keeper.set_validator(ctx.store, Validator.decode(json.dumps(raw).encode()))
    for entry in state.get("delegations", []):
        shares = int(entry["shares"])
        ctx.store.set(
            keys.delegation_key(
                account_address(entry["delegator"], "delegator"),
                validator_address(entry["validator"], "validator"),
            ),
            shares.to_bytes((shares.bit_length() + 7) // 8, "big"),
        )
    for raw in state.get("unbonding_entries", []):
        keeper.add_unbonding_entry(ctx.store, UnbondingEntry.decode(json.dumps(raw).encode()))
    for raw in state.get("redelegation_entries", []):
        keeper.add_redelegation_entry(ctx.store, RedelegationEntry.decode(json.dumps(raw).encode()))
    for validator in keeper.validators(ctx.store):
        if validator.status == BondStatus.UNBONDING:
            ctx.store.set(
                keys.validator_queue_key(validator.unbonding_completion_height, validator.operator),
                b"",
            )
    for entry in state.get("last_powers", []):
        operator = validator_address(entry["validator"], "validator")
        ctx.store.set(keys.last_power_key(operator), encode_uint(int(entry["power"]), 8))


def export_genesis(store: KVStore, keeper: StakingKeeper) -> dict[str, Any]:
    return {
        "params": keeper.params(store).to_json(),
        "validators": [json.loads(v.encode()) for v in keeper.validators(store)],
        "delegations": [
            {
                "delegator": encode_address(delegator),
                "validator": encode_validator_address(operator),
                "shares": str(shares),
            }
            for delegator, operator, shares in keeper.all_delegations(store)
        ],
        "unbonding_entries": [json.loads(e.encode()) for e in keeper.unbonding_entries(store)],
        "redelegation_entries": [
            json.loads(e.encode()) for e in keeper.redelegation_entries(store)
        ],
        "last_powers": [
            {"validator": encode_validator_address(operator), "power": str(power)}
            for operator, power in sorted(keeper.last_powers(store).items())
        ],
    }
