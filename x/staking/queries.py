"""staking queries over committed state: cosmos.staking.v1beta1.Query for Cosmos clients, and
gpuchain.staking.v1.Query for what gpuchain counts in blocks (params, entries' heights).

Cosmos's messages carry times where gpuchain has heights (unbonding_time, completion_time):
those stay unset; the gpuchain service answers the heights. Shares are whole numbers here,
sent as Cosmos's LegacyDec (see chain.coins.dec_wire).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf import any_pb2

from chain.coins import DEC_ONE, dec_wire
from chain.crypto import PUBKEY_TYPE_URL, encode_address, encode_validator_address
from chain.errors import INVALID_REQUEST, KEY_NOT_FOUND
from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import account_address, validator_address
from chain.pagination import PageRequest, paginate, paginate_items
from chain.params import params_response
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.crypto.ed25519 import keys_pb2
from chain.pb.cosmos.staking.v1beta1 import query_pb2, staking_pb2
from chain.pb.gpuchain.staking.v1 import query_pb2 as gpuchain_query_pb2
from chain.store import KVStore, decode_uint
from x.staking import keys
from x.staking.keeper import StakingKeeper
from x.staking.types import BondStatus, RedelegationEntry, UnbondingEntry, Validator

COSMOS_SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
GPUCHAIN_SERVICE = gpuchain_query_pb2.DESCRIPTOR.services_by_name["Query"]
VALIDATORS_PATH = query_path(COSMOS_SERVICE, "Validators")
VALIDATOR_PATH = query_path(COSMOS_SERVICE, "Validator")
DELEGATOR_DELEGATIONS_PATH = query_path(COSMOS_SERVICE, "DelegatorDelegations")
UNBONDING_PATH = query_path(GPUCHAIN_SERVICE, "Unbonding")
REDELEGATIONS_PATH = query_path(GPUCHAIN_SERVICE, "Redelegations")
PARAMS_PATH = query_path(GPUCHAIN_SERVICE, "Params")


def validator_message(validator: Validator) -> staking_pb2.Validator:
    """A validator as cosmos.staking.v1beta1.Validator (its consensus key an Any of
    cosmos.crypto.ed25519.PubKey)."""
    pubkey = keys_pb2.PubKey(key=validator.consensus_pubkey)
    rates = validator.commission
    return staking_pb2.Validator(
        operator_address=encode_validator_address(validator.operator),
        consensus_pubkey=any_pb2.Any(type_url=PUBKEY_TYPE_URL, value=pubkey.SerializeToString()),
        jailed=validator.jailed,
        status=staking_pb2.BondStatus.Name(int(validator.status)),
        tokens=str(validator.tokens),
        delegator_shares=dec_wire(validator.shares * DEC_ONE),
        description=staking_pb2.Description(
            moniker=validator.moniker,
            identity=validator.details.get("identity", ""),
            website=validator.details.get("website", ""),
            security_contact=validator.details.get("security_contact", ""),
            details=validator.details.get("details", ""),
        ),
        unbonding_height=validator.unbonding_height,
        commission=staking_pb2.Commission(
            commission_rates=staking_pb2.CommissionRates(
                rate=dec_wire(rates.rate),
                max_rate=dec_wire(rates.max_rate),
                max_change_rate=dec_wire(rates.max_change_rate),
            )
        ),
        min_self_delegation=str(validator.min_self_delegation),
    )


def query_routes(keeper: StakingKeeper) -> list[QueryRoute]:
    def delegation_response(
        store: KVStore, delegator: bytes, operator: bytes, shares: int
    ) -> staking_pb2.DelegationResponse:
        validator = keeper.require_validator(store, operator)
        return staking_pb2.DelegationResponse(
            delegation=staking_pb2.Delegation(
                delegator_address=encode_address(delegator),
                validator_address=encode_validator_address(operator),
                shares=dec_wire(shares * DEC_ONE),
            ),
            balance=coin_pb2.Coin(
                denom=keeper.params(store).bond_denom,
                amount=str(validator.tokens_for_shares(shares)),
            ),
        )

    def validators(
        store: KVStore, request: query_pb2.QueryValidatorsRequest
    ) -> query_pb2.QueryValidatorsResponse:
        """One page of validators in operator order, of one status when the request names
        one (BOND_STATUS_BONDED, ...)."""
        page_request = PageRequest.from_proto(request.pagination)
        if request.status:
            wanted = _bond_status(request.status)
            matching = [
                (validator.operator, validator)
                for validator in keeper.validators(store)
                if validator.status == wanted
            ]
            page = paginate_items(matching, page_request)
        else:
            page = paginate(
                store,
                keys.VALIDATOR_PREFIX,
                page_request,
                lambda _, raw: Validator.decode(raw),
            )
        return query_pb2.QueryValidatorsResponse(
            validators=[validator_message(v) for v in page.items], pagination=page.to_proto()
        )

    def validator(
        store: KVStore, request: query_pb2.QueryValidatorRequest
    ) -> query_pb2.QueryValidatorResponse:
        operator = validator_address(request.validator_addr, "validator_addr")
        found = keeper.validator(store, operator)
        if found is None:
            raise KEY_NOT_FOUND(f"validator {request.validator_addr} not found")
        return query_pb2.QueryValidatorResponse(validator=validator_message(found))

    def validator_delegations(
        store: KVStore, request: query_pb2.QueryValidatorDelegationsRequest
    ) -> query_pb2.QueryValidatorDelegationsResponse:
        """One page of a validator's delegations in delegator order (delegations are kept by
        delegator, so this reads them all: a query for explorers, not for blocks)."""
        operator = validator_address(request.validator_addr, "validator_addr")
        keeper.require_validator(store, operator)
        matching = [
            (delegator, (delegator, shares))
            for delegator, delegated_to, shares in keeper.all_delegations(store)
            if delegated_to == operator
        ]
        page = paginate_items(matching, PageRequest.from_proto(request.pagination))
        return query_pb2.QueryValidatorDelegationsResponse(
            delegation_responses=[
                delegation_response(store, delegator, operator, shares)
                for delegator, shares in page.items
            ],
            pagination=page.to_proto(),
        )

    def delegation(
        store: KVStore, request: query_pb2.QueryDelegationRequest
    ) -> query_pb2.QueryDelegationResponse:
        delegator = account_address(request.delegator_addr, "delegator_addr")
        operator = validator_address(request.validator_addr, "validator_addr")
        shares = keeper.delegation_shares(store, delegator, operator)
        if not shares:
            raise KEY_NOT_FOUND(
                f"delegation with delegator {request.delegator_addr} not found for validator "
                f"{request.validator_addr}"
            )
        return query_pb2.QueryDelegationResponse(
            delegation_response=delegation_response(store, delegator, operator, shares)
        )

    def delegator_delegations(
        store: KVStore, request: query_pb2.QueryDelegatorDelegationsRequest
    ) -> query_pb2.QueryDelegatorDelegationsResponse:
        """One page of a delegator's delegations in operator order."""
        delegator = account_address(request.delegator_addr, "delegator_addr")
        page = paginate(
            store,
            keys.DELEGATION_PREFIX + delegator,
            PageRequest.from_proto(request.pagination),
            lambda operator, raw: (operator, decode_uint(raw)),
        )
        return query_pb2.QueryDelegatorDelegationsResponse(
            delegation_responses=[
                delegation_response(store, delegator, operator, shares)
                for operator, shares in page.items
            ],
            pagination=page.to_proto(),
        )

    def unbonding_delegation(
        store: KVStore, request: query_pb2.QueryUnbondingDelegationRequest
    ) -> query_pb2.QueryUnbondingDelegationResponse:
        delegator = account_address(request.delegator_addr, "delegator_addr")
        operator = validator_address(request.validator_addr, "validator_addr")
        entries = [
            e for e in keeper.unbonding_entries_of(store, delegator) if e.operator == operator
        ]
        if not entries:
            raise KEY_NOT_FOUND(
                f"unbonding delegation with delegator {request.delegator_addr} not found for "
                f"validator {request.validator_addr}"
            )
        return query_pb2.QueryUnbondingDelegationResponse(unbond=_unbonding(entries))

    def delegator_unbonding_delegations(
        store: KVStore, request: query_pb2.QueryDelegatorUnbondingDelegationsRequest
    ) -> query_pb2.QueryDelegatorUnbondingDelegationsResponse:
        """One page of a delegator's unbondings, one per validator in operator order."""
        delegator = account_address(request.delegator_addr, "delegator_addr")
        grouped = _grouped(keeper.unbonding_entries_of(store, delegator), lambda e: e.operator)
        page = paginate_items(grouped, PageRequest.from_proto(request.pagination))
        return query_pb2.QueryDelegatorUnbondingDelegationsResponse(
            unbonding_responses=[_unbonding(entries) for entries in page.items],
            pagination=page.to_proto(),
        )

    def redelegations(
        store: KVStore, request: query_pb2.QueryRedelegationsRequest
    ) -> query_pb2.QueryRedelegationsResponse:
        """One page of a delegator's redelegations in transit, one per (source,
        destination), narrowed to the source and destination the request names."""
        delegator = account_address(request.delegator_addr, "delegator_addr")
        source = (
            validator_address(request.src_validator_addr, "src_validator_addr")
            if request.src_validator_addr
            else None
        )
        destination = (
            validator_address(request.dst_validator_addr, "dst_validator_addr")
            if request.dst_validator_addr
            else None
        )
        entries = [
            e
            for e in keeper.redelegation_entries_of(store, delegator)
            if source in (None, e.source) and destination in (None, e.destination)
        ]
        grouped = _grouped(entries, lambda e: e.source + e.destination)
        page = paginate_items(grouped, PageRequest.from_proto(request.pagination))
        return query_pb2.QueryRedelegationsResponse(
            redelegation_responses=[_redelegation(store, keeper, group) for group in page.items],
            pagination=page.to_proto(),
        )

    def pool(store: KVStore, _: query_pb2.QueryPoolRequest) -> query_pb2.QueryPoolResponse:
        bonded, not_bonded = keeper.pool(store)
        return query_pb2.QueryPoolResponse(
            pool=staking_pb2.Pool(bonded_tokens=str(bonded), not_bonded_tokens=str(not_bonded))
        )

    def params(store: KVStore, _: query_pb2.QueryParamsRequest) -> query_pb2.QueryParamsResponse:
        """Cosmos's params; unbonding_time stays unset: gpuchain's period is in blocks
        (gpuchain.staking.v1.Query/Params)."""
        found = keeper.params(store)
        return query_pb2.QueryParamsResponse(
            params=staking_pb2.Params(
                max_validators=found.max_validators,
                max_entries=found.max_entries,
                bond_denom=found.bond_denom,
                min_commission_rate=dec_wire(0),
            )
        )

    def gpuchain_params(
        store: KVStore, _: gpuchain_query_pb2.QueryParamsRequest
    ) -> gpuchain_query_pb2.QueryParamsResponse:
        return params_response(keeper.params(store), gpuchain_query_pb2.QueryParamsResponse)

    def unbonding(
        store: KVStore, request: gpuchain_query_pb2.QueryDelegatorRequest
    ) -> gpuchain_query_pb2.QueryUnbondingResponse:
        delegator = account_address(request.delegator, "delegator")
        return gpuchain_query_pb2.QueryUnbondingResponse(
            entries=[
                gpuchain_query_pb2.UnbondingEntry(
                    validator=encode_validator_address(e.operator),
                    creation_height=e.creation_height,
                    completion_height=e.completion_height,
                    initial_balance=str(e.initial_balance),
                    balance=str(e.balance),
                )
                for e in keeper.unbonding_entries_of(store, delegator)
            ]
        )

    def redelegation_entries(
        store: KVStore, request: gpuchain_query_pb2.QueryDelegatorRequest
    ) -> gpuchain_query_pb2.QueryRedelegationsResponse:
        delegator = account_address(request.delegator, "delegator")
        return gpuchain_query_pb2.QueryRedelegationsResponse(
            entries=[
                gpuchain_query_pb2.RedelegationEntry(
                    source_validator=encode_validator_address(e.source),
                    destination_validator=encode_validator_address(e.destination),
                    creation_height=e.creation_height,
                    completion_height=e.completion_height,
                    initial_balance=str(e.initial_balance),
                    shares_dst=str(e.destination_shares),
                )
                for e in keeper.redelegation_entries_of(store, delegator)
            ]
        )

    return service_routes(
        COSMOS_SERVICE,
        {
            "Validators": validators,
            "Validator": validator,
            "ValidatorDelegations": validator_delegations,
            "Delegation": delegation,
            "DelegatorDelegations": delegator_delegations,
            "UnbondingDelegation": unbonding_delegation,
            "DelegatorUnbondingDelegations": delegator_unbonding_delegations,
            "Redelegations": redelegations,
            "Pool": pool,
            "Params": params,
        },
    ) + service_routes(
        GPUCHAIN_SERVICE,
        {
            "Params": gpuchain_params,
            "Unbonding": unbonding,
            "Redelegations": redelegation_entries,
        },
    )


def _bond_status(name: str) -> BondStatus:
    """A validator status as Cosmos names it (BOND_STATUS_BONDED, ...)."""
    for status in BondStatus:
        if name == staking_pb2.BondStatus.Name(int(status)):
            return status
    raise INVALID_REQUEST(
        f"invalid validator status {name[:40]!r}: expected BOND_STATUS_BONDED, "
        "BOND_STATUS_UNBONDING or BOND_STATUS_UNBONDED"
    )


def _grouped(
    entries: list[Any], group_key: Callable[[Any], bytes]
) -> list[tuple[bytes, list[Any]]]:
    """Entries gathered under their group key, in key order (each group keeps its order)."""
    groups: dict[bytes, list[Any]] = {}
    for entry in entries:
        groups.setdefault(group_key(entry), []).append(entry)
    return sorted(groups.items())


def _unbonding(entries: list[UnbondingEntry]) -> staking_pb2.UnbondingDelegation:
    """One delegator's unbondings from one validator (completion_time unset: see module)."""
    return staking_pb2.UnbondingDelegation(
        delegator_address=encode_address(entries[0].delegator),
        validator_address=encode_validator_address(entries[0].operator),
        entries=[
            staking_pb2.UnbondingDelegationEntry(
                creation_height=e.creation_height,
                initial_balance=str(e.initial_balance),
                balance=str(e.balance),
            )
            for e in entries
        ],
    )


def _redelegation(
    store: KVStore, keeper: StakingKeeper, entries: list[RedelegationEntry]
) -> staking_pb2.RedelegationResponse:
    """One delegator's redelegations from one source to one destination, each entry's
    balance what its shares are worth at the destination now."""
    first = entries[0]
    destination = keeper.validator(store, first.destination)
    messages = [
        staking_pb2.RedelegationEntry(
            creation_height=e.creation_height,
            initial_balance=str(e.initial_balance),
            shares_dst=dec_wire(e.destination_shares * DEC_ONE),
        )
        for e in entries
    ]
    return staking_pb2.RedelegationResponse(
        redelegation=staking_pb2.Redelegation(
            delegator_address=encode_address(first.delegator),
            validator_src_address=encode_validator_address(first.source),
            validator_dst_address=encode_validator_address(first.destination),
            entries=messages,
        ),
        entries=[
            staking_pb2.RedelegationEntryResponse(
                redelegation_entry=message,
                balance=str(
                    destination.tokens_for_shares(e.destination_shares) if destination else 0
                ),
            )
            for e, message in zip(entries, messages, strict=True)
        ],
    )
