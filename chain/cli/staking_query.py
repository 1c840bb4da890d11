"""`gpuchain query staking|slashing|distribution`: validators, delegations and rewards.

Each command asks the modules' typed queries (cosmos.*.v1beta1.Query, and gpuchain.*.v1.Query
for what gpuchain counts in blocks) and prints the answer as JSON with `-o json` (whole
tokens and shares, decimals with a point), or as a table or `key: value` lines for people.
Validators are named by operator address (`gpuvaloper1…`) or by the keyring key that
operates them; delegators by address (`gpu1…`) or key name.
"""

from __future__ import annotations

import argparse
import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeAlias, TypeVar

from google.protobuf.message import Message

from chain.cli.client import (
    abci_query,
    add_page_flags,
    message_json,
    page_json,
    page_request,
    page_text,
    resolve_address,
    resolve_validator_address,
    rpc_client,
)
from chain.cli.output import CommandError, emit
from chain.coins import DEC_ONE, dec_from_wire, format_dec
from chain.crypto import (
    PUBKEY_LENGTH,
    address_from_pubkey,
    decode_validator_address,
    encode_address,
)
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.crypto.ed25519 import keys_pb2
from chain.pb.cosmos.distribution.v1beta1 import query_pb2 as distribution_query_pb2
from chain.pb.cosmos.staking.v1beta1 import query_pb2 as staking_query_pb2
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.pb.gpuchain.distribution.v1 import query_pb2 as gpuchain_distribution_pb2
from chain.pb.gpuchain.slashing.v1 import query_pb2 as gpuchain_slashing_pb2
from chain.pb.gpuchain.staking.v1 import query_pb2 as gpuchain_staking_pb2
from x.staking.types import POWER_REDUCTION

STAKING = "/cosmos.staking.v1beta1.Query/"
DISTRIBUTION = "/cosmos.distribution.v1beta1.Query/"
GPUCHAIN_STAKING = "/gpuchain.staking.v1.Query/"
GPUCHAIN_SLASHING = "/gpuchain.slashing.v1.Query/"
GPUCHAIN_DISTRIBUTION = "/gpuchain.distribution.v1.Query/"

MessageT = TypeVar("MessageT", bound=Message)
Group: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(query_commands: Group, common: argparse.ArgumentParser) -> None:
    """Add `query staking`, `query slashing` and `query distribution` under `query`."""

    def group(name: str, help_text: str) -> Group:
        parser = query_commands.add_parser(name, parents=[common], help=help_text)
        return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="CMD")

    def command(parent: Group, name: str, help_text: str, *arguments: tuple[str, str]) -> Any:
        parser = parent.add_parser(name, parents=[common], help=help_text)
        for argument, argument_help in arguments:
            optional = argument.endswith("?")
            name_only = argument.rstrip("?")
            parser.add_argument(
                name_only.lower(),
                metavar=name_only,
                nargs="?" if optional else None,
                help=argument_help,
            )
        return parser

    validator_help = ("VALIDATOR", "gpuvaloper1… or the operator's key name")
    delegator_help = ("DELEGATOR", "gpu1… address or key name")

    staking = group("staking", "validators and delegations")
    listing = command(staking, "validators", "validators, a page at a time")
    add_page_flags(listing, "validators")
    listing.set_defaults(func=staking_validators)
    command(staking, "validator", "one validator", validator_help).set_defaults(
        func=staking_validator
    )
    listing = command(staking, "delegations", "a delegator's delegations", delegator_help)
    add_page_flags(listing, "delegations")
    listing.set_defaults(func=staking_delegations)
    command(staking, "unbonding", "a delegator's unbonding entries", delegator_help).set_defaults(
        func=staking_unbonding
    )
    command(
        staking, "redelegations", "a delegator's redelegations in transit", delegator_help
    ).set_defaults(func=staking_redelegations)
    command(staking, "params", "staking parameters").set_defaults(
        func=params_command(GPUCHAIN_STAKING, gpuchain_staking_pb2, "staking")
    )

    slashing = group("slashing", "validator liveness")
    command(
        slashing,
        "signing-info",
        "a validator's liveness record",
        (
            "VALIDATOR",
            "gpuvaloper1…, operator key name, consensus address (40 hex) "
            "or consensus public key (base64)",
        ),
    ).set_defaults(func=slashing_signing_info)
    listing = command(slashing, "signing-infos", "validators' liveness records, a page at a time")
    add_page_flags(listing, "records")
    listing.set_defaults(func=slashing_signing_infos)
    command(slashing, "params", "slashing parameters").set_defaults(
        func=params_command(GPUCHAIN_SLASHING, gpuchain_slashing_pb2, "slashing")
    )

    distribution = group("distribution", "staking rewards")
    command(
        distribution,
        "rewards",
        "a delegator's pending rewards",
        delegator_help,
        ("VALIDATOR?", "only the delegation to this validator"),
    ).set_defaults(func=distribution_rewards)
    command(
        distribution, "commission", "a validator's unwithdrawn commission", validator_help
    ).set_defaults(func=distribution_commission)
    command(distribution, "community-pool", "the community pool").set_defaults(
        func=distribution_community_pool
    )
    command(distribution, "params", "distribution parameters").set_defaults(
        func=params_command(GPUCHAIN_DISTRIBUTION, gpuchain_distribution_pb2, "distribution")
    )


# --- arguments and text -------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns under upper-case headers."""
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def fields_text(data: dict[str, Any], indent: str = "") -> str:
    """`key: value` lines, nested objects indented."""
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.append(fields_text(value, indent + "  "))
        elif isinstance(value, bool):
            lines.append(f"{indent}{key}: {str(value).lower()}")
        else:
            lines.append(f"{indent}{key}: {value}")
    return "\n".join(lines)


def coins_text(coins: list[dict[str, str]]) -> str:
    return ",".join(f"{coin['amount']}{coin['denom']}" for coin in coins) or "0"


def _ask(args: argparse.Namespace, path: str, request: Message, response: MessageT) -> MessageT:
    return abci_query(rpc_client(args), path, request, response)


def whole(dec: str) -> str:
    """A LegacyDec off the wire that holds a whole number (shares, paid rewards) as digits."""
    return str(dec_from_wire(dec) // DEC_ONE)


def dec_coins_json(coins: Sequence[coin_pb2.DecCoin]) -> list[dict[str, str]]:
    """DecCoins of whole tokens as Cosmos-style coins."""
    return [{"denom": coin.denom, "amount": whole(coin.amount)} for coin in coins]


def validator_json(validator: staking_pb2.Validator) -> dict[str, Any]:
    """A validator as the CLI prints it: power, consensus key in hex, rates with a point."""
    operator = decode_validator_address(validator.operator_address)
    rates = validator.commission.commission_rates
    bonded = validator.status == staking_pb2.BOND_STATUS_BONDED
    return {
        "operator_address": validator.operator_address,
        "account_address": encode_address(operator),
        "consensus_pubkey": keys_pb2.PubKey.FromString(validator.consensus_pubkey.value).key.hex(),
        "moniker": validator.description.moniker,
        "tokens": validator.tokens,
        "delegator_shares": whole(validator.delegator_shares),
        "status": staking_pb2.BondStatus.Name(validator.status)
        .removeprefix("BOND_STATUS_")
        .lower(),
        "jailed": validator.jailed,
        "power": str(int(validator.tokens) // POWER_REDUCTION if bonded else 0),
        "commission": {
            "rate": format_dec(dec_from_wire(rates.rate)),
            "max_rate": format_dec(dec_from_wire(rates.max_rate)),
            "max_change_rate": format_dec(dec_from_wire(rates.max_change_rate)),
        },
        "min_self_delegation": validator.min_self_delegation,
        "unbonding_height": str(validator.unbonding_height),
    }


# --- staking ----------------------------------------------------------------------------


def staking_validators(args: argparse.Namespace) -> int:
    """`query staking validators [--limit N] [--page-key K] [...]`."""
    response = _ask(
        args,
        STAKING + "Validators",
        staking_query_pb2.QueryValidatorsRequest(pagination=page_request(args).to_proto()),
        staking_query_pb2.QueryValidatorsResponse(),
    )
    answer: dict[str, Any] = {
        "validators": [validator_json(v) for v in response.validators],
        "pagination": page_json(response.pagination),
    }
    rows = [
        [
            v["moniker"] or "-",
            v["operator_address"],
            v["status"],
            "yes" if v["jailed"] else "no",
            v["power"],
            v["tokens"],
            v["commission"]["rate"],
        ]
        for v in answer["validators"]
    ]
    headers = ["MONIKER", "OPERATOR", "STATUS", "JAILED", "POWER", "TOKENS", "COMMISSION"]
    text = table(headers, rows) if rows else "no validators"
    emit(args, answer, text + page_text(answer.get("pagination")))
    return 0


def staking_validator(args: argparse.Namespace) -> int:
    """`query staking validator VALIDATOR`."""
    response = _ask(
        args,
        STAKING + "Validator",
        staking_query_pb2.QueryValidatorRequest(
            validator_addr=resolve_validator_address(args, args.validator)
        ),
        staking_query_pb2.QueryValidatorResponse(),
    )
    answer = validator_json(response.validator)
    emit(args, answer, fields_text(answer))
    return 0


def staking_delegations(args: argparse.Namespace) -> int:
    """`query staking delegations DELEGATOR [--limit N] [--page-key K] [...]`."""
    delegator = resolve_address(args, args.delegator, "delegator")
    response = _ask(
        args,
        STAKING + "DelegatorDelegations",
        staking_query_pb2.QueryDelegatorDelegationsRequest(
            delegator_addr=delegator, pagination=page_request(args).to_proto()
        ),
        staking_query_pb2.QueryDelegatorDelegationsResponse(),
    )
    answer: dict[str, Any] = {
        "delegations": [
            {
                "validator": d.delegation.validator_address,
                "shares": whole(d.delegation.shares),
                "balance": d.balance.amount,
            }
            for d in response.delegation_responses
        ],
        "pagination": page_json(response.pagination),
    }
    rows = [[d["validator"], d["balance"], d["shares"]] for d in answer["delegations"]]
    text = (
        table(["VALIDATOR", "BALANCE", "SHARES"], rows)
        if rows
        else f"{delegator} has no delegations"
    )
    emit(args, answer, text + page_text(answer.get("pagination")))
    return 0


def entries_command(
    method: str, response_class: type[Message], columns: dict[str, str], nothing: str
) -> Any:
    """A `query staking …` command listing a delegator's entries of one kind: each entry
    field of columns (field → header) a column, `nothing` (with the delegator) when none."""

    def run(args: argparse.Namespace) -> int:
        delegator = resolve_address(args, args.delegator, "delegator")
        answer = message_json(
            _ask(
                args,
                GPUCHAIN_STAKING + method,
                gpuchain_staking_pb2.QueryDelegatorRequest(delegator=delegator),
                response_class(),
            )
        )
        rows = [[entry[field] for field in columns] for entry in answer["entries"]]
        text = table(list(columns.values()), rows) if rows else f"{delegator} {nothing}"
        emit(args, answer, text)
        return 0

    return run


staking_unbonding = entries_command(
    "Unbonding",
    gpuchain_staking_pb2.QueryUnbondingResponse,
    {
        "validator": "VALIDATOR",
        "balance": "BALANCE",
        "initial_balance": "INITIAL",
        "creation_height": "CREATED",
        "completion_height": "COMPLETES",
    },
    "has nothing unbonding",
)
staking_redelegations = entries_command(
    "Redelegations",
    gpuchain_staking_pb2.QueryRedelegationsResponse,
    {
        "source_validator": "FROM",
        "destination_validator": "TO",
        "initial_balance": "AMOUNT",
        "creation_height": "CREATED",
        "completion_height": "COMPLETES",
    },
    "has no redelegation in transit",
)


def params_command(service: str, messages: Any, module: str) -> Any:
    """The `query MODULE params` command of a module's gpuchain Params query (messages: its
    generated query_pb2)."""

    def run(args: argparse.Namespace) -> int:
        response = _ask(
            args, service + "Params", messages.QueryParamsRequest(), messages.QueryParamsResponse()
        )
        answer = message_json(response.params)
        emit(args, answer, fields_text(answer))
        return 0

    run.__doc__ = f"`query {module} params`."
    return run


# --- slashing ---------------------------------------------------------------------------


def signing_info_request(args: argparse.Namespace, text: str) -> dict[str, str]:
    """The SigningInfo query's argument for an operator, key name, consensus address or key."""
    cleaned = text.strip()
    if cleaned.lower().startswith("gpuvaloper"):
        return {"validator": resolve_validator_address(args, cleaned)}
    hex_text = cleaned.removeprefix("0x").removeprefix("0X")
    if len(hex_text) == 40:
        try:
            bytes.fromhex(hex_text)
        except ValueError:
            pass
        else:
            return {"consensus_address": hex_text.upper()}
    try:
        pubkey = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        pubkey = b""
    if len(pubkey) == PUBKEY_LENGTH:
        return {"consensus_address": address_from_pubkey(pubkey).hex().upper()}
    try:
        return {"validator": resolve_validator_address(args, cleaned)}
    except CommandError:
        raise CommandError(
            f"invalid validator {text!r}: expected a gpuvaloper1… address, an operator key "
            "name, a consensus address (40 hex digits) or a base64 ed25519 consensus key"
        ) from None


def slashing_signing_info(args: argparse.Namespace) -> int:
    """`query slashing signing-info VALIDATOR_OR_CONSENSUS_ADDRESS`."""
    response = _ask(
        args,
        GPUCHAIN_SLASHING + "SigningInfo",
        gpuchain_slashing_pb2.QuerySigningInfoRequest(**signing_info_request(args, args.validator)),
        gpuchain_slashing_pb2.QuerySigningInfoResponse(),
    )
    answer = message_json(response.signing_info)
    emit(args, answer, fields_text(answer))
    return 0


def slashing_signing_infos(args: argparse.Namespace) -> int:
    """`query slashing signing-infos [--limit N] [--page-key K] [...]`."""
    response = _ask(
        args,
        GPUCHAIN_SLASHING + "SigningInfos",
        gpuchain_slashing_pb2.QuerySigningInfosRequest(pagination=page_request(args).to_proto()),
        gpuchain_slashing_pb2.QuerySigningInfosResponse(),
    )
    answer: dict[str, Any] = {
        "signing_infos": [message_json(info) for info in response.signing_infos],
        "pagination": page_json(response.pagination),
    }
    rows = [
        [
            i["address"],
            i["start_height"],
            i["missed_blocks_counter"],
            i["jailed_until"],
            "yes" if i["tombstoned"] else "no",
        ]
        for i in answer["signing_infos"]
    ]
    headers = ["CONSENSUS ADDRESS", "START", "MISSED", "JAILED UNTIL", "TOMBSTONED"]
    text = table(headers, rows) if rows else "no signing infos"
    emit(args, answer, text + page_text(answer.get("pagination")))
    return 0


# --- distribution -----------------------------------------------------------------------


def distribution_rewards(args: argparse.Namespace) -> int:
    """`query distribution rewards DELEGATOR [VALIDATOR]`."""
    delegator = resolve_address(args, args.delegator, "delegator")
    if args.validator:
        validator = resolve_validator_address(args, args.validator)
        one = _ask(
            args,
            DISTRIBUTION + "DelegationRewards",
            distribution_query_pb2.QueryDelegationRewardsRequest(
                delegator_address=delegator, validator_address=validator
            ),
            distribution_query_pb2.QueryDelegationRewardsResponse(),
        )
        reward = dec_coins_json(one.rewards)
        answer: dict[str, Any] = {
            "rewards": [{"validator_address": validator, "reward": reward}],
            "total": reward,
        }
    else:
        every = _ask(
            args,
            DISTRIBUTION + "DelegationTotalRewards",
            distribution_query_pb2.QueryDelegationTotalRewardsRequest(delegator_address=delegator),
            distribution_query_pb2.QueryDelegationTotalRewardsResponse(),
        )
        answer = {
            "rewards": [
                {"validator_address": r.validator_address, "reward": dec_coins_json(r.reward)}
                for r in every.rewards
            ],
            "total": dec_coins_json(every.total),
        }
    rows = [[r["validator_address"], coins_text(r["reward"])] for r in answer["rewards"]]
    text = table(["VALIDATOR", "REWARD"], rows) if rows else "no delegations"
    emit(args, answer, f"{text}\ntotal: {coins_text(answer['total'])}")
    return 0


def distribution_commission(args: argparse.Namespace) -> int:
    """`query distribution commission VALIDATOR`."""
    validator = resolve_validator_address(args, args.validator)
    commission = _ask(
        args,
        DISTRIBUTION + "ValidatorCommission",
        distribution_query_pb2.QueryValidatorCommissionRequest(validator_address=validator),
        distribution_query_pb2.QueryValidatorCommissionResponse(),
    )
    outstanding = _ask(
        args,
        DISTRIBUTION + "ValidatorOutstandingRewards",
        distribution_query_pb2.QueryValidatorOutstandingRewardsRequest(validator_address=validator),
        distribution_query_pb2.QueryValidatorOutstandingRewardsResponse(),
    )
    answer: dict[str, Any] = {
        "commission": dec_coins_json(commission.commission.commission),
        "outstanding_rewards": dec_coins_json(outstanding.rewards.rewards),
    }
    text = (
        f"commission: {coins_text(answer['commission'])}\n"
        f"outstanding_rewards: {coins_text(answer['outstanding_rewards'])}"
    )
    emit(args, answer, text)
    return 0


def distribution_community_pool(args: argparse.Namespace) -> int:
    """`query distribution community-pool`."""
    response = _ask(
        args,
        DISTRIBUTION + "CommunityPool",
        distribution_query_pb2.QueryCommunityPoolRequest(),
        distribution_query_pb2.QueryCommunityPoolResponse(),
    )
    answer = {"pool": dec_coins_json(response.pool)}
    emit(args, answer, f"pool: {coins_text(answer['pool'])}")
    return 0
