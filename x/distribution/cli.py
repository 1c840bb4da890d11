"""`gpuchain tx distribution …` and `gpuchain query distribution …`: staking rewards."""

from __future__ import annotations

import argparse
from typing import Any

from google.protobuf.message import Message

from chain.cli import api
from chain.pb.cosmos.distribution.v1beta1 import query_pb2
from chain.pb.gpuchain.distribution.v1 import query_pb2 as gpuchain_distribution_pb2
from x.distribution import msgs, queries

WITHDRAW_GAS = 400_000


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    distribution = api.command_group(commands, common, "distribution", "staking rewards")
    withdraw = api.tx_command(
        distribution,
        common,
        "withdraw-rewards",
        "withdraw a delegation's rewards",
        "Withdraw --from's pending rewards of its delegation to VALIDATOR; with --commission "
        "(--from must be VALIDATOR's operator) also its accumulated commission, in the same tx.",
        default_gas=WITHDRAW_GAS,
    )
    withdraw.add_argument(
        "validator", metavar="VALIDATOR", help="a validator's gpuvaloper1… operator address"
    )
    withdraw.add_argument(
        "--commission", action="store_true", help="also withdraw the validator's commission"
    )
    withdraw.set_defaults(func=withdraw_rewards)
    withdraw_all = api.tx_command(
        distribution,
        common,
        "withdraw-all-rewards",
        "withdraw the rewards of every delegation",
        "Withdraw --from's pending rewards from every validator it delegates to, in one tx.",
        default_gas=WITHDRAW_GAS,
    )
    withdraw_all.set_defaults(func=withdraw_all_rewards)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    validator_help = ("VALIDATOR", "a validator's gpuvaloper1… operator address")
    delegator_help = ("DELEGATOR", "gpu1… address or key name")

    distribution = api.command_group(commands, common, "distribution", "staking rewards")
    api.query_command(
        distribution,
        common,
        "rewards",
        "a delegator's pending rewards",
        delegator_help,
        ("VALIDATOR?", "only the delegation to this validator"),
    ).set_defaults(func=distribution_rewards)
    api.query_command(
        distribution, common, "commission", "a validator's unwithdrawn commission", validator_help
    ).set_defaults(func=distribution_commission)
    api.query_command(distribution, common, "community-pool", "the community pool").set_defaults(
        func=distribution_community_pool
    )
    api.query_command(distribution, common, "params", "distribution parameters").set_defaults(
        func=api.params_command(queries.PARAMS_PATH, gpuchain_distribution_pb2, "distribution")
    )


def withdraw_rewards(args: argparse.Namespace) -> int:
    """`tx distribution withdraw-rewards VALIDATOR --from KEY [--commission]`."""
    key = api.sender_key(args)
    validator = api.resolve_validator_address(args, args.validator)
    messages: list[Message] = [
        api.checked(
            msgs.withdraw_rewards_msg(key.address, validator),
            msgs.validate_withdraw_delegator_reward,
        )
    ]
    if args.commission:
        if api.operator_of(key) != validator:
            raise api.CommandError(
                f"--commission: {key.name} ({key.address}) is not the operator of {validator}; "
                f"it operates {api.operator_of(key)}"
            )
        messages.append(
            api.checked(
                msgs.withdraw_commission_msg(validator),
                msgs.validate_withdraw_validator_commission,
            )
        )
    return api.deliver(args, key, messages)


def withdraw_all_rewards(args: argparse.Namespace) -> int:
    """`tx distribution withdraw-all-rewards --from KEY`: one message per delegation."""
    key = api.sender_key(args)
    answer = api.query(
        args,
        queries.DELEGATION_TOTAL_REWARDS_PATH,
        query_pb2.QueryDelegationTotalRewardsRequest(delegator_address=key.address),
        query_pb2.QueryDelegationTotalRewardsResponse(),
    )
    operators = [entry.validator_address for entry in answer.rewards]
    if not operators:
        raise api.CommandError(f"{key.name} ({key.address}) has no delegations to withdraw from")
    return api.deliver(
        args, key, [msgs.withdraw_rewards_msg(key.address, operator) for operator in operators]
    )


# --- queries -----------------------------------------------------------------------------


def distribution_rewards(args: argparse.Namespace) -> int:
    """`query distribution rewards DELEGATOR [VALIDATOR]`."""
    delegator = api.resolve_address(args, args.delegator, "delegator")
    if args.validator:
        validator = api.resolve_validator_address(args, args.validator)
        one = api.query(
            args,
            queries.DELEGATION_REWARDS_PATH,
            query_pb2.QueryDelegationRewardsRequest(
                delegator_address=delegator, validator_address=validator
            ),
            query_pb2.QueryDelegationRewardsResponse(),
        )
        reward = api.dec_coins_json(one.rewards)
        answer: dict[str, Any] = {
            "rewards": [{"validator_address": validator, "reward": reward}],
            "total": reward,
        }
    else:
        every = api.query(
            args,
            queries.DELEGATION_TOTAL_REWARDS_PATH,
            query_pb2.QueryDelegationTotalRewardsRequest(delegator_address=delegator),
            query_pb2.QueryDelegationTotalRewardsResponse(),
        )
        answer = {
            "rewards": [
                {"validator_address": r.validator_address, "reward": api.dec_coins_json(r.reward)}
                for r in every.rewards
            ],
            "total": api.dec_coins_json(every.total),
        }
    rows = [[r["validator_address"], api.coins_text(r["reward"])] for r in answer["rewards"]]
    text = api.table(["VALIDATOR", "REWARD"], rows) if rows else "no delegations"
    api.emit(args, answer, f"{text}\ntotal: {api.coins_text(answer['total'])}")
    return 0


def distribution_commission(args: argparse.Namespace) -> int:
    """`query distribution commission VALIDATOR`."""
    validator = api.resolve_validator_address(args, args.validator)
    commission = api.query(
        args,
        queries.VALIDATOR_COMMISSION_PATH,
        query_pb2.QueryValidatorCommissionRequest(validator_address=validator),
        query_pb2.QueryValidatorCommissionResponse(),
    )
    outstanding = api.query(
        args,
        queries.VALIDATOR_OUTSTANDING_REWARDS_PATH,
        query_pb2.QueryValidatorOutstandingRewardsRequest(validator_address=validator),
        query_pb2.QueryValidatorOutstandingRewardsResponse(),
    )
    answer: dict[str, Any] = {
        "commission": api.dec_coins_json(commission.commission.commission),
        "outstanding_rewards": api.dec_coins_json(outstanding.rewards.rewards),
    }
    text = (
        f"commission: {api.coins_text(answer['commission'])}\n"
        f"outstanding_rewards: {api.coins_text(answer['outstanding_rewards'])}"
    )
    api.emit(args, answer, text)
    return 0


def distribution_community_pool(args: argparse.Namespace) -> int:
    """`query distribution community-pool`."""
    response = api.query(
        args,
        queries.COMMUNITY_POOL_PATH,
        query_pb2.QueryCommunityPoolRequest(),
        query_pb2.QueryCommunityPoolResponse(),
    )
    answer = {"pool": api.dec_coins_json(response.pool)}
    api.emit(args, answer, f"pool: {api.coins_text(answer['pool'])}")
    return 0
