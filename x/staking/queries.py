"""staking queries over committed state, answered as canonical JSON (gpuchain.base.v1)."""

from __future__ import annotations

from typing import Any

from chain.crypto import encode_address, encode_validator_address
from chain.errors import KEY_NOT_FOUND
from chain.module import QueryRoute, json_route
from chain.msgs import account_address, validator_address
from chain.pagination import PageRequest, paginate
from chain.store import KVStore, decode_uint
from x.staking import keys
from x.staking.keeper import StakingKeeper
from x.staking.types import Validator, format_rate

SERVICE = "/gpuchain.staking.v1.Query/"


def validator_json(validator: Validator, power: int) -> dict[str, Any]:
    return {
        "operator_address": encode_validator_address(validator.operator),
        "account_address": encode_address(validator.operator),
        "consensus_pubkey": validator.consensus_pubkey.hex(),
        "moniker": validator.moniker,
        "tokens": str(validator.tokens),
        "delegator_shares": str(validator.shares),
        "status": validator.status.name.lower(),
        "jailed": validator.jailed,
        "power": str(power),
        "commission": {
            "rate": format_rate(validator.commission.rate),
            "max_rate": format_rate(validator.commission.max_rate),
            "max_change_rate": format_rate(validator.commission.max_change_rate),
        },
        "min_self_delegation": str(validator.min_self_delegation),
        "unbonding_height": str(validator.unbonding_height),
        "unbonding_completion_height": str(validator.unbonding_completion_height),
    }


def query_routes(keeper: StakingKeeper) -> list[QueryRoute]:
    def validators(store: KVStore, arguments: dict[str, Any]) -> Any:
        """{pagination?} → one page of validators in operator order."""
        page = paginate(
            store,
            keys.VALIDATOR_PREFIX,
            PageRequest.from_json(arguments),
            lambda _, raw: Validator.decode(raw),
        )
        powers = keeper.last_powers(store)  # at most max_validators entries
        return {
            "validators": [validator_json(v, powers.get(v.operator, 0)) for v in page.items],
            "pagination": page.to_json(),
        }

    def validator(store: KVStore, arguments: dict[str, Any]) -> Any:
        operator = validator_address(str(arguments.get("validator", "")), "validator")
        found = keeper.validator(store, operator)
        if found is None:
            raise KEY_NOT_FOUND(f"validator {arguments['validator']} not found")
        return validator_json(found, keeper.last_powers(store).get(operator, 0))

    def delegations(store: KVStore, arguments: dict[str, Any]) -> Any:
        """{delegator, pagination?} → one page of its delegations in operator order."""
        delegator = account_address(str(arguments.get("delegator", "")), "delegator")
        page = paginate(
            store,
            keys.DELEGATION_PREFIX + delegator,
            PageRequest.from_json(arguments),
            lambda operator, raw: (operator, decode_uint(raw)),
        )
        result = []
        for operator, shares in page.items:
            found = keeper.require_validator(store, operator)
            result.append(
                {
                    "validator": encode_validator_address(operator),
                    "shares": str(shares),
                    "balance": str(found.tokens_for_shares(shares)),
                }
            )
        return {"delegations": result, "pagination": page.to_json()}

    def unbonding(store: KVStore, arguments: dict[str, Any]) -> Any:
        delegator = account_address(str(arguments.get("delegator", "")), "delegator")
        return {
            "entries": [
                {
                    "validator": encode_validator_address(e.operator),
                    "creation_height": str(e.creation_height),
                    "completion_height": str(e.completion_height),
                    "initial_balance": str(e.initial_balance),
                    "balance": str(e.balance),
                }
                for e in keeper.unbonding_entries_of(store, delegator)
            ]
        }

    def redelegations(store: KVStore, arguments: dict[str, Any]) -> Any:
        delegator = account_address(str(arguments.get("delegator", "")), "delegator")
        return {
            "entries": [
                {
                    "source_validator": encode_validator_address(e.source),
                    "destination_validator": encode_validator_address(e.destination),
                    "creation_height": str(e.creation_height),
                    "completion_height": str(e.completion_height),
                    "initial_balance": str(e.initial_balance),
                    "shares_dst": str(e.destination_shares),
                }
                for e in keeper.redelegation_entries_of(store, delegator)
            ]
        }

    def params(store: KVStore, _: dict[str, Any]) -> Any:
        return keeper.params(store).to_json()

    return [
        json_route(SERVICE + "Validators", validators),
        json_route(SERVICE + "Validator", validator),
        json_route(SERVICE + "Delegations", delegations),
        json_route(SERVICE + "Unbonding", unbonding),
        json_route(SERVICE + "Redelegations", redelegations),
        json_route(SERVICE + "Params", params),
    ]
