"""staking genesis: params plus, for an exported chain, validators, delegations, unbondings
and the last validator set. New chains leave those empty and bond validators with gentxs."""

from __future__ import annotations

import json
from typing import Any

from chain.context import Context
from chain.crypto import encode_address, encode_validator_address
from chain.msgs import account_address, validator_address
from chain.store import KVStore
from x.staking import keys
from x.staking.keeper import StakingKeeper
from x.staking.types import Params, UnbondingEntry, Validator


def default_genesis() -> dict[str, Any]:
    return {"params": Params().to_json()}


def validate_genesis(state: dict[str, Any]) -> None:
    Params.from_json(state.get("params", {}))
    for entry in state.get("delegations", []):
        account_address(entry["delegator"], "staking.delegations.delegator")
        validator_address(entry["validator"], "staking.delegations.validator")


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
    for sequence, raw in enumerate(state.get("unbonding_entries", [])):
        entry = UnbondingEntry.decode(json.dumps(raw).encode())
        ctx.store.set(keys.unbonding_queue_key(entry.completion_height, sequence), entry.encode())
        ctx.store.set(
            keys.unbonding_by_validator_key(entry.operator, entry.completion_height, sequence), b""
        )
    ctx.store.set(keys.NEXT_UNBONDING_KEY, keys.u64(len(state.get("unbonding_entries", []))))
    for entry in state.get("last_powers", []):
        operator = validator_address(entry["validator"], "validator")
        ctx.store.set(keys.last_power_key(operator), keys.u64(int(entry["power"])))


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
        "last_powers": [
            {"validator": encode_validator_address(operator), "power": str(power)}
            for operator, power in sorted(keeper.last_powers(store).items())
        ],
    }
