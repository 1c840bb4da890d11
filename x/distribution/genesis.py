"""distribution genesis: params, community pool, each validator's reward record and each
delegation's starting point, so an exported chain resumes paying exactly what it owed.

The module account's tokens are in bank's genesis (balances of every address); the
invariant checks after import that they match these records.
"""

from __future__ import annotations

from typing import Any

from chain.context import Context
from chain.crypto import encode_address, encode_validator_address
from chain.errors import INVALID_REQUEST
from chain.msgs import account_address, validator_address
from chain.store import KVStore
from x.distribution.keeper import DistributionKeeper
from x.distribution.types import Params, ValidatorRewards, parse_count


def default_genesis() -> dict[str, Any]:
    return {
        "params": Params().to_json(),
        "community_pool": "0",
        "validators": [],
        "delegations": [],
    }


def _parse(
    state: dict[str, Any],
) -> tuple[Params, int, list[tuple[bytes, ValidatorRewards]], list[tuple[bytes, bytes, int]]]:
    """Raises INVALID_REQUEST / INVALID_ADDRESS naming the entry; duplicates are refused."""
    params = Params.from_json(state.get("params", {}))
    pool = parse_count(state.get("community_pool", "0"), "distribution.community_pool")
    validators: dict[bytes, ValidatorRewards] = {}
    for index, entry in enumerate(state.get("validators", [])):
        where = f"distribution.validators[{index}]"
        operator = validator_address(str(entry.get("validator", "")), f"{where}.validator")
        if operator in validators:
            raise INVALID_REQUEST(f"{where}: {entry['validator']} listed twice")
        validators[operator] = ValidatorRewards.from_json(entry, where)
    starts: dict[tuple[bytes, bytes], int] = {}
    for index, entry in enumerate(state.get("delegations", [])):
        where = f"distribution.delegations[{index}]"
        delegator = account_address(str(entry.get("delegator", "")), f"{where}.delegator")
        operator = validator_address(str(entry.get("validator", "")), f"{where}.validator")
        if (delegator, operator) in starts:
            raise INVALID_REQUEST(f"{where}: delegation listed twice")
        start = parse_count(entry.get("reward_per_share", "0"), f"{where}.reward_per_share")
        current = validators.get(operator, ValidatorRewards()).reward_per_share
        if start > current:
            raise INVALID_REQUEST(f"{where}: reward_per_share is ahead of its validator's")
        starts[(delegator, operator)] = start
    return (
        params,
        pool,
        sorted(validators.items()),
        [(delegator, operator, start) for (delegator, operator), start in sorted(starts.items())],
    )


def validate_genesis(state: dict[str, Any]) -> None:
    _parse(state)


def init_genesis(ctx: Context, keeper: DistributionKeeper, state: dict[str, Any]) -> None:
    params, pool, validators, starts = _parse(state)
    keeper.set_params(ctx.store, params)
    keeper.set_community_pool(ctx.store, pool)
    for operator, rewards in validators:
        keeper.set_validator_rewards(ctx.store, operator, rewards)
    for delegator, operator, start in starts:
        keeper.set_delegation_start(ctx.store, delegator, operator, start)


def export_genesis(store: KVStore, keeper: DistributionKeeper) -> dict[str, Any]:
    return {
        "params": keeper.params(store).to_json(),
        "community_pool": str(keeper.community_pool(store)),
        "validators": [
            {"validator": encode_validator_address(operator), **rewards.to_json()}
            for operator, rewards in keeper.all_validator_rewards(store)
        ],
        "delegations": [
            {
                "delegator": encode_address(delegator),
                "validator": encode_validator_address(operator),
                "reward_per_share": str(start),
            }
            for delegator, operator, start in keeper.all_delegation_starts(store)
        ],
    }
