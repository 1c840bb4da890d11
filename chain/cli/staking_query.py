"""`gpuchain query staking|slashing|distribution`: validators, delegations and rewards.

Each command asks one of the modules' JSON queries and prints its answer unchanged with
`-o json`, or as a table or `key: value` lines for people. Validators are named by
operator address (`gpuvaloper1…`) or by the keyring key that operates them; delegators
by address (`gpu1…`) or key name.
"""

from __future__ import annotations

import argparse
import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeAlias

from chain.cli.client import (
    add_page_flags,
    json_query,
    page_request,
    page_text,
    resolve_address,
    resolve_validator_address,
    rpc_client,
)
from chain.cli.output import CommandError, emit
from chain.crypto import PUBKEY_LENGTH, address_from_pubkey

STAKING = "/gpuchain.staking.v1.Query/"
SLASHING = "/gpuchain.slashing.v1.Query/"
DISTRIBUTION = "/gpuchain.distribution.v1.Query/"

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
        func=params_command(STAKING, "staking")
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
        func=params_command(SLASHING, "slashing")
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
        func=params_command(DISTRIBUTION, "distribution")
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


def _ask(args: argparse.Namespace, path: str, arguments: dict[str, Any] | None = None) -> Any:
    return json_query(rpc_client(args), path, arguments)


def _page(args: argparse.Namespace) -> dict[str, Any]:
    return {"pagination": page_request(args).to_json()}


# --- staking ----------------------------------------------------------------------------


def staking_validators(args: argparse.Namespace) -> int:
    """`query staking validators [--limit N] [--page-key K] [...]`."""
    answer = _ask(args, STAKING + "Validators", _page(args))
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
    answer = _ask(
        args, STAKING + "Validator", {"validator": resolve_validator_address(args, args.validator)}
    )
    emit(args, answer, fields_text(answer))
    return 0


def staking_delegations(args: argparse.Namespace) -> int:
    """`query staking delegations DELEGATOR [--limit N] [--page-key K] [...]`."""
    delegator = resolve_address(args, args.delegator, "delegator")
    answer = _ask(args, STAKING + "Delegations", {"delegator": delegator, **_page(args)})
    rows = [[d["validator"], d["balance"], d["shares"]] for d in answer["delegations"]]
    text = (
        table(["VALIDATOR", "BALANCE", "SHARES"], rows)
        if rows
        else f"{delegator} has no delegations"
    )
    emit(args, answer, text + page_text(answer.get("pagination")))
    return 0


def entries_command(method: str, columns: dict[str, str], nothing: str) -> Any:
    """A `query staking …` command listing a delegator's entries of one kind: each entry
    field of columns (field → header) a column, `nothing` (with the delegator) when none."""

    def run(args: argparse.Namespace) -> int:
        delegator = resolve_address(args, args.delegator, "delegator")
        answer = _ask(args, STAKING + method, {"delegator": delegator})
        rows = [[entry[field] for field in columns] for entry in answer["entries"]]
        text = table(list(columns.values()), rows) if rows else f"{delegator} {nothing}"
        emit(args, answer, text)
        return 0

    return run


staking_unbonding = entries_command(
    "Unbonding",
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
    {
        "source_validator": "FROM",
        "destination_validator": "TO",
        "initial_balance": "AMOUNT",
        "creation_height": "CREATED",
        "completion_height": "COMPLETES",
    },
    "has no redelegation in transit",
)


def params_command(service: str, module: str) -> Any:
    """The `query MODULE params` command of a module's Params query."""

    def run(args: argparse.Namespace) -> int:
        answer = _ask(args, service + "Params")
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
    answer = _ask(args, SLASHING + "SigningInfo", signing_info_request(args, args.validator))
    emit(args, answer, fields_text(answer))
    return 0


def slashing_signing_infos(args: argparse.Namespace) -> int:
    """`query slashing signing-infos [--limit N] [--page-key K] [...]`."""
    answer = _ask(args, SLASHING + "SigningInfos", _page(args))
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
    request = {"delegator": resolve_address(args, args.delegator, "delegator")}
    if args.validator:
        request["validator"] = resolve_validator_address(args, args.validator)
    answer = _ask(args, DISTRIBUTION + "Rewards", request)
    rows = [[r["validator_address"], coins_text(r["reward"])] for r in answer["rewards"]]
    text = table(["VALIDATOR", "REWARD"], rows) if rows else "no delegations"
    emit(args, answer, f"{text}\ntotal: {coins_text(answer['total'])}")
    return 0


def distribution_commission(args: argparse.Namespace) -> int:
    """`query distribution commission VALIDATOR`."""
    answer = _ask(
        args,
        DISTRIBUTION + "Commission",
        {"validator": resolve_validator_address(args, args.validator)},
    )
    text = (
        f"commission: {coins_text(answer['commission'])}\n"
        f"outstanding_rewards: {coins_text(answer['outstanding_rewards'])}"
    )
    emit(args, answer, text)
    return 0


def distribution_community_pool(args: argparse.Namespace) -> int:
    """`query distribution community-pool`."""
    answer = _ask(args, DISTRIBUTION + "CommunityPool")
    emit(args, answer, f"pool: {coins_text(answer['pool'])}")
    return 0
