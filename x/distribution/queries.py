"""distribution queries over committed state: cosmos.distribution.v1beta1.Query, and
gpuchain.distribution.v1.Query for gpuchain's own params (inflation lives here).

Rewards here are whole tokens (rounded down when paid), sent as Cosmos's DecCoins
(amounts in LegacyDec wire form, see chain.coins.dec_wire); nothing owed is an empty list.
"""

from __future__ import annotations

from chain.coins import DEC_ONE, dec_wire
from chain.crypto import encode_validator_address
from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import account_address, validator_address
from chain.params import params_response
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.distribution.v1beta1 import distribution_pb2, query_pb2
from chain.pb.gpuchain.distribution.v1 import query_pb2 as gpuchain_query_pb2
from chain.store import KVStore
from x.distribution.keeper import DistributionKeeper
from x.distribution.types import ValidatorRewards

COSMOS_SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
GPUCHAIN_SERVICE = gpuchain_query_pb2.DESCRIPTOR.services_by_name["Query"]
DELEGATION_TOTAL_REWARDS_PATH = query_path(COSMOS_SERVICE, "DelegationTotalRewards")
DELEGATION_REWARDS_PATH = query_path(COSMOS_SERVICE, "DelegationRewards")
VALIDATOR_COMMISSION_PATH = query_path(COSMOS_SERVICE, "ValidatorCommission")
VALIDATOR_OUTSTANDING_REWARDS_PATH = query_path(COSMOS_SERVICE, "ValidatorOutstandingRewards")
COMMUNITY_POOL_PATH = query_path(COSMOS_SERVICE, "CommunityPool")
PARAMS_PATH = query_path(GPUCHAIN_SERVICE, "Params")


def dec_coins(denom: str, amount: int) -> list[coin_pb2.DecCoin]:
    """A whole amount as Cosmos's DecCoins; an empty list means nothing."""
    return [coin_pb2.DecCoin(denom=denom, amount=dec_wire(amount * DEC_ONE))] if amount else []


def query_routes(keeper: DistributionKeeper) -> list[QueryRoute]:
    def delegation_rewards(
        store: KVStore, request: query_pb2.QueryDelegationRewardsRequest
    ) -> query_pb2.QueryDelegationRewardsResponse:
        """What withdrawing one delegation's rewards would pay now; raises
        UNKNOWN_VALIDATOR, NO_DELEGATION."""
        delegator = account_address(request.delegator_address, "delegator_address")
        operator = validator_address(request.validator_address, "validator_address")
        keeper.require_delegation(store, delegator, operator)
        return query_pb2.QueryDelegationRewardsResponse(
            rewards=dec_coins(
                keeper.denom(store), keeper.pending_rewards(store, delegator, operator)
            )
        )

    def delegation_total_rewards(
        store: KVStore, request: query_pb2.QueryDelegationTotalRewardsRequest
    ) -> query_pb2.QueryDelegationTotalRewardsResponse:
        """Pending rewards of each of a delegator's delegations, in operator order, and
        their total."""
        delegator = account_address(request.delegator_address, "delegator_address")
        denom = keeper.denom(store)
        entries = []
        total = 0
        for operator in keeper.delegated_validators(store, delegator):
            amount = keeper.pending_rewards(store, delegator, operator)
            total += amount
            entries.append(
                distribution_pb2.DelegationDelegatorReward(
                    validator_address=encode_validator_address(operator),
                    reward=dec_coins(denom, amount),
                )
            )
        return query_pb2.QueryDelegationTotalRewardsResponse(
            rewards=entries, total=dec_coins(denom, total)
        )

    def rewards_of(store: KVStore, operator_text: str) -> ValidatorRewards:
        """A validator's reward record; raises INVALID_ADDRESS, UNKNOWN_VALIDATOR."""
        operator = validator_address(operator_text, "validator_address")
        keeper.require_validator(store, operator)
        return keeper.validator_rewards(store, operator)

    def validator_outstanding_rewards(
        store: KVStore, request: query_pb2.QueryValidatorOutstandingRewardsRequest
    ) -> query_pb2.QueryValidatorOutstandingRewardsResponse:
        """Tokens held for a validator's delegators and not yet paid; raises
        UNKNOWN_VALIDATOR."""
        outstanding = rewards_of(store, request.validator_address).outstanding
        return query_pb2.QueryValidatorOutstandingRewardsResponse(
            rewards=distribution_pb2.ValidatorOutstandingRewards(
                rewards=dec_coins(keeper.denom(store), outstanding)
            )
        )

    def validator_commission(
        store: KVStore, request: query_pb2.QueryValidatorCommissionRequest
    ) -> query_pb2.QueryValidatorCommissionResponse:
        """The operator's unwithdrawn commission; raises UNKNOWN_VALIDATOR."""
        commission = rewards_of(store, request.validator_address).commission
        return query_pb2.QueryValidatorCommissionResponse(
            commission=distribution_pb2.ValidatorAccumulatedCommission(
                commission=dec_coins(keeper.denom(store), commission)
            )
        )

    def community_pool(
        store: KVStore, _: query_pb2.QueryCommunityPoolRequest
    ) -> query_pb2.QueryCommunityPoolResponse:
        return query_pb2.QueryCommunityPoolResponse(
            pool=dec_coins(keeper.denom(store), keeper.community_pool(store))
        )

    def params(store: KVStore, _: query_pb2.QueryParamsRequest) -> query_pb2.QueryParamsResponse:
        """Cosmos's params: gpuchain pays no proposer bonus and has no withdraw addresses."""
        found = keeper.params(store)
        return query_pb2.QueryParamsResponse(
            params=distribution_pb2.Params(
                community_tax=dec_wire(found.community_tax),
                base_proposer_reward=dec_wire(0),
                bonus_proposer_reward=dec_wire(0),
                withdraw_addr_enabled=False,
            )
        )

    def gpuchain_params(
        store: KVStore, _: gpuchain_query_pb2.QueryParamsRequest
    ) -> gpuchain_query_pb2.QueryParamsResponse:
        return params_response(keeper.params(store), gpuchain_query_pb2.QueryParamsResponse)

    return service_routes(
        COSMOS_SERVICE,
        {
            "DelegationRewards": delegation_rewards,
            "DelegationTotalRewards": delegation_total_rewards,
            "ValidatorOutstandingRewards": validator_outstanding_rewards,
            "ValidatorCommission": validator_commission,
            "CommunityPool": community_pool,
            "Params": params,
        },
    ) + service_routes(GPUCHAIN_SERVICE, {"Params": gpuchain_params})
