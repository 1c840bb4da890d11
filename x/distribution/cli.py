"""`gpuchain tx distribution …`: withdraw staking rewards and commission."""

from __future__ import annotations

import argparse

from google.protobuf.message import Message

from chain.cli import api
from chain.pb.cosmos.distribution.v1beta1 import query_pb2
from x.distribution import msgs
from x.distribution.queries import DELEGATION_TOTAL_REWARDS_PATH

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
    withdraw.add_argument("validator", metavar="VALIDATOR", help="gpuvaloper1… or key name")
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
    """The distribution queries are still registered by chain/cli/staking_query.py."""


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
        DELEGATION_TOTAL_REWARDS_PATH,
        query_pb2.QueryDelegationTotalRewardsRequest(delegator_address=key.address),
        query_pb2.QueryDelegationTotalRewardsResponse(),
    )
    operators = [entry.validator_address for entry in answer.rewards]
    if not operators:
        raise api.CommandError(f"{key.name} ({key.address}) has no delegations to withdraw from")
    return api.deliver(
        args, key, [msgs.withdraw_rewards_msg(key.address, operator) for operator in operators]
    )
