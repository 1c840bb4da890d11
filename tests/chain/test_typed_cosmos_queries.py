"""The typed Cosmos queries answer what a Cosmos client reads, in Cosmos's encodings: Dec
fields as 18-decimal integer digits, consensus keys as Any of ed25519 PubKey, consensus
addresses as gpuvalcons1…, module accounts by name, and NOT_FOUND for what does not exist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_fixtures import ALICE, BOB, CAROL
from staking_helpers import (
    consensus_address,
    consensus_key,
    create_validator,
    delegate,
    redelegate,
    undelegate,
)

from chain.coins import DEC_ONE
from chain.crypto import (
    encode_address,
    encode_consensus_address,
    encode_validator_address,
    module_address,
)
from chain.pb.cosmos.auth.v1beta1 import auth_pb2
from chain.pb.cosmos.auth.v1beta1 import query_pb2 as auth_query
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query
from chain.pb.cosmos.crypto.ed25519 import keys_pb2
from chain.pb.cosmos.distribution.v1beta1 import query_pb2 as distribution_query
from chain.pb.cosmos.slashing.v1beta1 import query_pb2 as slashing_query
from chain.pb.cosmos.staking.v1beta1 import query_pb2 as staking_query
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import TestNode, genesis_state, vote

POWER = 1_000_000
STAKING = "/cosmos.staking.v1beta1.Query/"


def valoper(key: object) -> str:
    return encode_validator_address(key.address)  # type: ignore[attr-defined]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[TestNode]:
    """ALICE and BOB validate (10% commission); CAROL delegates to ALICE, moves part to BOB
    and unbonds part; a few blocks pay rewards."""
    test_node = TestNode(tmp_path / "node")
    test_node.init_chain(
        genesis_state({k.bech32_address: "10000000000ugpc" for k in (ALICE, BOB, CAROL)})
    )
    test_node.block()
    creations = [
        test_node.sign(key, [create_validator(key, consensus_key(seed), 2 * POWER)], gas=400_000)
        for seed, key in enumerate((ALICE, BOB), start=1)
    ]
    assert all(r.code == 0 for r in test_node.block(creations).tx_results)
    moves = test_node.sign(
        CAROL,
        [
            delegate(CAROL, ALICE, 3 * POWER),
            redelegate(CAROL, ALICE, BOB, POWER),
            undelegate(CAROL, ALICE, POWER),
        ],
        gas=1_200_000,
    )
    assert test_node.block([moves]).tx_results[0].code == 0
    signers = [vote(consensus_address(consensus_key(seed)), 2) for seed in (1, 2)]
    for _ in range(3):
        test_node.block(votes=signers)
    yield test_node
    test_node.close()


def test_a_validator_reads_as_cosmos_encodes_it(node: TestNode) -> None:
    answer = node.query(
        STAKING + "Validator",
        staking_query.QueryValidatorRequest(validator_addr=valoper(ALICE)),
        staking_query.QueryValidatorResponse(),
    )
    validator = answer.validator

    assert validator.status == staking_pb2.BOND_STATUS_BONDED
    assert validator.consensus_pubkey.type_url == "/cosmos.crypto.ed25519.PubKey"
    pubkey = keys_pb2.PubKey.FromString(validator.consensus_pubkey.value).key
    assert pubkey == consensus_key(1).public_key
    assert validator.commission.commission_rates.rate == str(DEC_ONE // 10)
    assert validator.commission.commission_rates.max_rate == str(DEC_ONE // 5)
    assert validator.tokens == str(2 * POWER + 3 * POWER - POWER - POWER)
    assert validator.delegator_shares == str(int(validator.tokens) * DEC_ONE)
    assert validator.description.moniker == "v"


def test_delegations_unbondings_and_redelegations_of_a_delegator(node: TestNode) -> None:
    one = node.query(
        STAKING + "Delegation",
        staking_query.QueryDelegationRequest(
            delegator_addr=CAROL.bech32_address, validator_addr=valoper(ALICE)
        ),
        staking_query.QueryDelegationResponse(),
    ).delegation_response
    to_bob = node.query(
        STAKING + "ValidatorDelegations",
        staking_query.QueryValidatorDelegationsRequest(validator_addr=valoper(BOB)),
        staking_query.QueryValidatorDelegationsResponse(),
    )
    unbonding = node.query(
        STAKING + "UnbondingDelegation",
        staking_query.QueryUnbondingDelegationRequest(
            delegator_addr=CAROL.bech32_address, validator_addr=valoper(ALICE)
        ),
        staking_query.QueryUnbondingDelegationResponse(),
    ).unbond
    every_unbonding = node.query(
        STAKING + "DelegatorUnbondingDelegations",
        staking_query.QueryDelegatorUnbondingDelegationsRequest(
            delegator_addr=CAROL.bech32_address
        ),
        staking_query.QueryDelegatorUnbondingDelegationsResponse(),
    )
    moved = node.query(
        STAKING + "Redelegations",
        staking_query.QueryRedelegationsRequest(delegator_addr=CAROL.bech32_address),
        staking_query.QueryRedelegationsResponse(),
    )
    pool = node.query(
        STAKING + "Pool", staking_query.QueryPoolRequest(), staking_query.QueryPoolResponse()
    ).pool

    assert (one.balance.denom, one.balance.amount) == ("ugpc", str(POWER))
    assert one.delegation.shares == str(POWER * DEC_ONE)
    assert sorted(d.delegation.delegator_address for d in to_bob.delegation_responses) == sorted(
        [BOB.bech32_address, CAROL.bech32_address]
    )
    assert [e.balance for e in unbonding.entries] == [str(POWER)]
    assert list(every_unbonding.unbonding_responses) == [unbonding]
    (redelegation,) = moved.redelegation_responses
    assert redelegation.redelegation.validator_dst_address == valoper(BOB)
    assert [e.balance for e in redelegation.entries] == [str(POWER)]
    assert int(pool.bonded_tokens) == 2 * POWER + 2 * POWER + 3 * POWER - POWER
    assert int(pool.not_bonded_tokens) == POWER  # the unbonding


def test_rewards_commission_and_params_are_dec_coins_and_decs(node: TestNode) -> None:
    rewards = node.query(
        "/cosmos.distribution.v1beta1.Query/DelegationTotalRewards",
        distribution_query.QueryDelegationTotalRewardsRequest(
            delegator_address=CAROL.bech32_address
        ),
        distribution_query.QueryDelegationTotalRewardsResponse(),
    )
    commission = node.query(
        "/cosmos.distribution.v1beta1.Query/ValidatorCommission",
        distribution_query.QueryValidatorCommissionRequest(validator_address=valoper(ALICE)),
        distribution_query.QueryValidatorCommissionResponse(),
    ).commission.commission
    params = node.query(
        "/cosmos.distribution.v1beta1.Query/Params",
        distribution_query.QueryParamsRequest(),
        distribution_query.QueryParamsResponse(),
    ).params

    assert [r.validator_address for r in rewards.rewards] == [valoper(ALICE), valoper(BOB)]
    (total,) = rewards.total
    assert total.denom == "ugpc" and int(total.amount) > 0 and int(total.amount) % DEC_ONE == 0
    assert sum(int(r.reward[0].amount) for r in rewards.rewards if r.reward) == int(total.amount)
    assert int(commission[0].amount) > 0
    assert params.community_tax == str(2 * DEC_ONE // 100)


def test_signing_infos_name_consensus_addresses_as_gpuvalcons(node: TestNode) -> None:
    address = encode_consensus_address(consensus_address(consensus_key(1)))
    info = node.query(
        "/cosmos.slashing.v1beta1.Query/SigningInfo",
        slashing_query.QuerySigningInfoRequest(cons_address=address),
        slashing_query.QuerySigningInfoResponse(),
    ).val_signing_info
    params = node.query(
        "/cosmos.slashing.v1beta1.Query/Params",
        slashing_query.QueryParamsRequest(),
        slashing_query.QueryParamsResponse(),
    ).params

    assert info.address == address and info.start_height > 0 and not info.tombstoned
    assert params.min_signed_per_window == str(DEC_ONE // 2).encode()


def test_accounts_module_accounts_and_bank_params(node: TestNode) -> None:
    modules = node.query(
        "/cosmos.auth.v1beta1.Query/ModuleAccounts",
        auth_query.QueryModuleAccountsRequest(),
        auth_query.QueryModuleAccountsResponse(),
    )
    auth_params = node.query(
        "/cosmos.auth.v1beta1.Query/Params",
        auth_query.QueryParamsRequest(),
        auth_query.QueryParamsResponse(),
    ).params
    spendable = node.query(
        "/cosmos.bank.v1beta1.Query/SpendableBalances",
        bank_query.QuerySpendableBalancesRequest(address=CAROL.bech32_address),
        bank_query.QuerySpendableBalancesResponse(),
    )
    everything = node.query(
        "/cosmos.bank.v1beta1.Query/AllBalances",
        bank_query.QueryAllBalancesRequest(address=CAROL.bech32_address),
        bank_query.QueryAllBalancesResponse(),
    )

    accounts = [auth_pb2.ModuleAccount.FromString(a.value) for a in modules.accounts]
    by_name = {a.name: a.base_account.address for a in accounts}
    assert by_name["bonded_tokens_pool"] == encode_address(module_address("bonded_tokens_pool"))
    assert {"fee_collector", "distribution", "not_bonded_tokens_pool"} <= set(by_name)
    assert auth_params.sig_verify_cost_secp256k1 == 1000
    assert list(spendable.balances) == list(everything.balances)


def test_what_does_not_exist_is_not_found(node: TestNode) -> None:
    def code_of(path: str, request: object) -> tuple[str, int]:
        answer = node.app.query(
            abci.RequestQuery(path=path, data=request.SerializeToString())  # type: ignore[attr-defined]
        )
        return answer.codespace, answer.code

    not_found = ("sdk", 22)  # key not found: NOT_FOUND over gRPC and REST
    assert (
        code_of(
            STAKING + "Delegation",
            staking_query.QueryDelegationRequest(
                delegator_addr=ALICE.bech32_address, validator_addr=valoper(BOB)
            ),
        )
        == not_found
    )
    assert (
        code_of(
            "/cosmos.bank.v1beta1.Query/DenomMetadata",
            bank_query.QueryDenomMetadataRequest(denom="ugpc"),
        )
        == not_found
    )
