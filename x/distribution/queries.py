"""distribution queries over committed state, answered as canonical JSON (gpuchain.base.v1)."""

from __future__ import annotations

from typing import Any

from chain.crypto import encode_validator_address
from chain.module import QueryRoute, json_route
from chain.msgs import account_address, validator_address
from chain.store import KVStore
from x.distribution.keeper import DistributionKeeper

SERVICE = "/gpuchain.distribution.v1.Query/"


def coins_json(denom: str, amount: int) -> list[dict[str, str]]:
    """Cosmos-style coin list; an empty list means nothing."""
    return [{"denom": denom, "amount": str(amount)}] if amount else []


def query_routes(keeper: DistributionKeeper) -> list[QueryRoute]:
    def rewards(store: KVStore, arguments: dict[str, Any]) -> Any:
        """{delegator[, validator]} → pending rewards per delegation and their total."""
        delegator = account_address(str(arguments.get("delegator", "")), "delegator")
        if arguments.get("validator"):
            operator = validator_address(str(arguments["validator"]), "validator")
            keeper.require_delegation(store, delegator, operator)
            operators = [operator]
        else:
            operators = keeper.delegated_validators(store, delegator)
        denom = keeper.denom(store)
        entries = []
        total = 0
        for operator in operators:
            amount = keeper.pending_rewards(store, delegator, operator)
            total += amount
            entries.append(
                {
                    "validator_address": encode_validator_address(operator),
                    "reward": coins_json(denom, amount),
                }
            )
        return {"rewards": entries, "total": coins_json(denom, total)}

    def commission(store: KVStore, arguments: dict[str, Any]) -> Any:
        """{validator} → the operator's unwithdrawn commission and its delegators' pool."""
        operator = validator_address(str(arguments.get("validator", "")), "validator")
        keeper.require_validator(store, operator)
        record = keeper.validator_rewards(store, operator)
        denom = keeper.denom(store)
        return {
            "commission": coins_json(denom, record.commission),
            "outstanding_rewards": coins_json(denom, record.outstanding),
        }

    def community_pool(store: KVStore, _: dict[str, Any]) -> Any:
        return {"pool": coins_json(keeper.denom(store), keeper.community_pool(store))}

    def params(store: KVStore, _: dict[str, Any]) -> Any:
        return keeper.params(store).to_json()

    return [
        json_route(SERVICE + "Rewards", rewards),
        json_route(SERVICE + "Commission", commission),
        json_route(SERVICE + "CommunityPool", community_pool),
        json_route(SERVICE + "Params", params),
    ]
