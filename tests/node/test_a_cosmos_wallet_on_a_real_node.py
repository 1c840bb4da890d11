"""A Cosmos wallet's day on a real node, through the typed gRPC services alone: a secp256k1
key restored from a mnemonic is funded, reads its balance, the validators and its
delegations, then sends, delegates and withdraws rewards, each landing with the expected
balances; the REST API answers the same staking, distribution and slashing figures.

These are the calls a Cosmos wallet makes (the services, methods and fields cosmpy's
LedgerClient uses), made with the stubs generated from the Cosmos SDK's own protos, so each
figure can be checked exactly; cosmpy itself, unmodified, runs the same day in
test_cosmpy_unmodified_against_a_real_node.py.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf.message import Message

from chain.coins import DEC_ONE, Coins, format_dec
from chain.crypto import PrivateKey
from chain.keyring import Keyring
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query
from chain.pb.cosmos.bank.v1beta1 import query_pb2_grpc as bank_grpc
from chain.pb.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.distribution.v1beta1 import query_pb2 as distribution_query
from chain.pb.cosmos.distribution.v1beta1 import query_pb2_grpc as distribution_grpc
from chain.pb.cosmos.distribution.v1beta1 import tx_pb2 as distribution_tx
from chain.pb.cosmos.slashing.v1beta1 import query_pb2 as slashing_query
from chain.pb.cosmos.slashing.v1beta1 import query_pb2_grpc as slashing_grpc
from chain.pb.cosmos.staking.v1beta1 import query_pb2 as staking_query
from chain.pb.cosmos.staking.v1beta1 import query_pb2_grpc as staking_grpc
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.pb.cosmos.staking.v1beta1 import tx_pb2 as staking_tx
from chain.pb.cosmos.tx.v1beta1 import service_pb2, service_pb2_grpc
from chain.pb.gpuchain.staking.v1 import query_pb2 as gpuchain_staking_query
from chain.pb.gpuchain.staking.v1 import query_pb2_grpc as gpuchain_staking_grpc
from chain.rest import to_json
from chain.testing import LocalNode
from chain.tx import build_and_sign

# CosmJS's faucet mnemonic: cosmos1pkptre7fdkl6gfrzlesjjvhxhlc3r4gmmk8rs6 in any Cosmos wallet.
WALLET_MNEMONIC = (
    "economy stock theory fatal elder harbor betray wasp final emotion task crumble siren "
    "bottom lizard educate guess current outdoor pair theory focus wife stone"
)
FUNDING = 20_000_000
FEE = 4_000  # enough for staking's gas at the node's 0.001ugpc
GAS = 400_000
M = TypeVar("M", bound=Message)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    running = LocalNode(tmp_path_factory.mktemp("wallet") / "home")
    running.init({"alice": "100000000ugpc"})
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def channel(node: LocalNode) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as opened:
        yield opened


@pytest.fixture(scope="module")
def wallet(node: LocalNode, channel: grpc.Channel) -> PrivateKey:
    """The wallet's key, funded by alice."""
    key = PrivateKey.from_mnemonic(WALLET_MNEMONIC)
    alice = Keyring(node.home, "test").private_key("alice")
    send(node, channel, alice, bank_tx.MsgSend(
        from_address=alice.bech32_address,
        to_address=key.bech32_address,
        amount=[ugpc(FUNDING)],
    ))  # fmt: skip
    return key


def ugpc(amount: int) -> coin_pb2.Coin:
    return coin_pb2.Coin(denom="ugpc", amount=str(amount))


def send(node: LocalNode, channel: grpc.Channel, key: PrivateKey, message: Message) -> Any:
    """Sign, broadcast over cosmos.tx.v1beta1.Service and wait for the block; the included
    tx's response (code 0 asserted)."""
    number, sequence = node.account(key.bech32_address)
    raw = build_and_sign(
        key,
        [message],
        chain_id=node.chain_id,
        account_number=number,
        sequence=sequence,
        fee=Coins.parse(f"{FEE}ugpc"),
        gas_limit=GAS,
    )
    service = service_pb2_grpc.ServiceStub(channel)
    sent = service.BroadcastTx(
        service_pb2.BroadcastTxRequest(tx_bytes=raw, mode=service_pb2.BROADCAST_MODE_SYNC)
    )
    assert sent.tx_response.code == 0, sent.tx_response.raw_log
    node.rpc.wait_for_tx(sent.tx_response.txhash)
    found = service.GetTx(service_pb2.GetTxRequest(hash=sent.tx_response.txhash))
    assert found.tx_response.code == 0, found.tx_response.raw_log
    return found.tx_response


def balance(channel: grpc.Channel, key: PrivateKey) -> int:
    answer = bank_grpc.QueryStub(channel).Balance(
        bank_query.QueryBalanceRequest(address=key.bech32_address, denom="ugpc")
    )
    return int(answer.balance.amount)


def the_validator(channel: grpc.Channel) -> staking_pb2.Validator:
    answer = staking_grpc.QueryStub(channel).Validators(
        staking_query.QueryValidatorsRequest(status="BOND_STATUS_BONDED")
    )
    (validator,) = answer.validators
    return validator


def whole(dec: str) -> int:
    """A LegacyDec off the wire (18-decimal integer digits) that must be a whole number."""
    amount, fraction = divmod(int(dec), DEC_ONE)
    assert fraction == 0, dec
    return amount


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what} not within {timeout:.0f}s"
        time.sleep(0.2)
    return result


def test_the_wallet_reads_its_balance_the_validators_and_its_delegations(
    channel: grpc.Channel, wallet: PrivateKey
) -> None:
    balances = bank_grpc.QueryStub(channel).AllBalances(
        bank_query.QueryAllBalancesRequest(address=wallet.bech32_address)
    )
    validator = the_validator(channel)
    delegations = staking_grpc.QueryStub(channel).DelegatorDelegations(
        staking_query.QueryDelegatorDelegationsRequest(delegator_addr=wallet.bech32_address)
    )

    assert [(c.denom, c.amount) for c in balances.balances] == [("ugpc", str(FUNDING))]
    assert validator.operator_address.startswith("gpuvaloper1") and not validator.jailed
    assert validator.consensus_pubkey.type_url == "/cosmos.crypto.ed25519.PubKey"
    assert whole(validator.delegator_shares) == int(validator.tokens) > 0
    # Cosmos's wire form of a Dec: the 18-decimal integer's digits, no point.
    assert "." not in validator.commission.commission_rates.rate
    assert int(validator.commission.commission_rates.max_rate) <= DEC_ONE
    assert list(delegations.delegation_responses) == []


def test_the_wallet_sends_delegates_and_withdraws_rewards(
    node: LocalNode, channel: grpc.Channel, wallet: PrivateKey
) -> None:
    bob = Keyring(node.home, "test").add("wallet-friend").address
    start = balance(channel, wallet)

    send(node, channel, wallet, bank_tx.MsgSend(
        from_address=wallet.bech32_address, to_address=bob, amount=[ugpc(1_234)]
    ))  # fmt: skip
    assert balance(channel, wallet) == start - 1_234 - FEE

    operator = the_validator(channel).operator_address
    stake = 5_000_000
    send(node, channel, wallet, staking_tx.MsgDelegate(
        delegator_address=wallet.bech32_address, validator_address=operator, amount=ugpc(stake)
    ))  # fmt: skip
    after_delegating = balance(channel, wallet)
    assert after_delegating == start - 1_234 - stake - 2 * FEE
    delegation = (
        staking_grpc.QueryStub(channel)
        .Delegation(
            staking_query.QueryDelegationRequest(
                delegator_addr=wallet.bech32_address, validator_addr=operator
            )
        )
        .delegation_response
    )
    assert delegation.balance.amount == str(stake)
    assert delegation.delegation.validator_address == operator

    distribution = distribution_grpc.QueryStub(channel)
    rewards_request = distribution_query.QueryDelegationRewardsRequest(
        delegator_address=wallet.bech32_address, validator_address=operator
    )
    wait_until(
        lambda: distribution.DelegationRewards(rewards_request).rewards,
        "rewards on the new delegation",
    )
    response = send(node, channel, wallet, distribution_tx.MsgWithdrawDelegatorReward(
        delegator_address=wallet.bech32_address, validator_address=operator
    ))  # fmt: skip

    paid = [
        Coins.parse(attribute.value).amount_of("ugpc")
        for event in response.events
        if event.type == "withdraw_rewards"
        for attribute in event.attributes
        if attribute.key == "amount"
    ]
    assert len(paid) == 1 and paid[0] > 0
    assert balance(channel, wallet) == after_delegating - FEE + paid[0]
    total = distribution.DelegationTotalRewards(
        distribution_query.QueryDelegationTotalRewardsRequest(
            delegator_address=wallet.bech32_address
        )
    )
    assert [r.validator_address for r in total.rewards] == [operator]


def rest(node: LocalNode, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{node.api_port}{path}", timeout=10) as answer:
        assert answer.status == 200
        return json.loads(answer.read())


def same_over_rest(node: LocalNode, path: str, ask_grpc: Callable[[], M]) -> M:
    """The REST answer at path equals the gRPC answer, as Cosmos's gateway writes it (Dec
    fields with their point). Figures move every block, so a REST answer counts only
    between two equal gRPC answers; asks again (bounded) until it is."""
    deadline = time.monotonic() + 30
    while True:
        before = ask_grpc()
        over_rest = rest(node, path)
        after = ask_grpc()
        if before == after:
            assert over_rest == to_json(before), path
            return before
        assert time.monotonic() < deadline, f"{path} kept changing for 30s"


def test_rest_answers_the_same_staking_distribution_and_slashing_figures_as_grpc(
    node: LocalNode, channel: grpc.Channel, wallet: PrivateKey
) -> None:
    staking = staking_grpc.QueryStub(channel)
    distribution = distribution_grpc.QueryStub(channel)
    slashing = slashing_grpc.QueryStub(channel)
    operator = the_validator(channel).operator_address
    delegator = wallet.bech32_address

    validators = same_over_rest(
        node,
        "/cosmos/staking/v1beta1/validators",
        lambda: staking.Validators(staking_query.QueryValidatorsRequest()),
    )
    same_over_rest(
        node,
        f"/cosmos/staking/v1beta1/validators/{operator}",
        lambda: staking.Validator(staking_query.QueryValidatorRequest(validator_addr=operator)),
    )
    same_over_rest(
        node,
        f"/cosmos/staking/v1beta1/delegations/{delegator}",
        lambda: staking.DelegatorDelegations(
            staking_query.QueryDelegatorDelegationsRequest(delegator_addr=delegator)
        ),
    )
    same_over_rest(
        node,
        f"/cosmos/staking/v1beta1/validators/{operator}/delegations",
        lambda: staking.ValidatorDelegations(
            staking_query.QueryValidatorDelegationsRequest(validator_addr=operator)
        ),
    )
    same_over_rest(
        node, "/cosmos/staking/v1beta1/pool", lambda: staking.Pool(staking_query.QueryPoolRequest())
    )
    same_over_rest(
        node,
        f"/cosmos/distribution/v1beta1/delegators/{delegator}/rewards",
        lambda: distribution.DelegationTotalRewards(
            distribution_query.QueryDelegationTotalRewardsRequest(delegator_address=delegator)
        ),
    )
    same_over_rest(
        node,
        f"/cosmos/distribution/v1beta1/validators/{operator}/commission",
        lambda: distribution.ValidatorCommission(
            distribution_query.QueryValidatorCommissionRequest(validator_address=operator)
        ),
    )
    same_over_rest(
        node,
        "/cosmos/distribution/v1beta1/community_pool",
        lambda: distribution.CommunityPool(distribution_query.QueryCommunityPoolRequest()),
    )
    infos = same_over_rest(
        node,
        "/cosmos/slashing/v1beta1/signing_infos",
        lambda: slashing.SigningInfos(slashing_query.QuerySigningInfosRequest()),
    )
    params = same_over_rest(
        node,
        "/cosmos/slashing/v1beta1/params",
        lambda: slashing.Params(slashing_query.QueryParamsRequest()),
    )

    gpuchain_staking = gpuchain_staking_grpc.QueryStub(channel)
    same_over_rest(
        node,
        f"/gpuchain/staking/v1/delegators/{delegator}/unbonding",
        lambda: gpuchain_staking.Unbonding(
            gpuchain_staking_query.QueryDelegatorRequest(delegator=delegator)
        ),
    )
    same_over_rest(
        node,
        "/gpuchain/staking/v1/params",
        lambda: gpuchain_staking.Params(gpuchain_staking_query.QueryParamsRequest()),
    )

    rate = validators.validators[0].commission.commission_rates.rate
    shown = rest(node, "/cosmos/staking/v1beta1/validators")["validators"][0]
    assert shown["commission"]["commission_rates"]["rate"] == format_dec(int(rate))
    (info,) = infos.info
    assert info.address.startswith("gpuvalcons1")
    assert rest(node, "/cosmos/slashing/v1beta1/params")["params"][
        "min_signed_per_window"
    ] == format_dec(int(params.params.min_signed_per_window))
