"""`gpuchain tx staking …` and `gpuchain query staking …`: run a validator, delegate to one.

Validators are named by operator address (`gpuvaloper1…`) or by the keyring key that
operates them; amounts are one coin of the bond denom, e.g. `1000000ugpc`. Staking
transactions default to 400000 gas.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from chain.cli import api
from chain.cli.api import CommandError
from chain.coins import dec_from_wire, format_dec
from chain.config import Home, consensus_key
from chain.crypto import PUBKEY_LENGTH, PUBKEY_TYPE_URL, decode_validator_address, encode_address
from chain.pb.cosmos.crypto.ed25519 import keys_pb2
from chain.pb.cosmos.staking.v1beta1 import query_pb2 as staking_query_pb2
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.pb.gpuchain.staking.v1 import query_pb2 as gpuchain_staking_pb2
from x.staking import msgs as staking_msgs
from x.staking import queries
from x.staking.types import POWER_REDUCTION

STAKING_GAS = 400_000


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    staking = api.command_group(commands, common, "staking", "validators and delegations")

    def command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        return api.tx_command(
            staking, common, name, help_text, description, default_gas=STAKING_GAS
        )

    create = command(
        "create-validator",
        "make the --from key the operator of a new validator",
        "Create a validator operated by --from, self-bonding --amount. Its consensus key is "
        "--pubkey (base64 ed25519, or Cosmos's JSON form), by default the consensus key of "
        "the node whose --home this is.",
    )
    create.add_argument("--amount", required=True, help="self-delegation, e.g. 100000000ugpc")
    create.add_argument("--pubkey", help="consensus public key (default: this node's)")
    create.add_argument("--moniker", help="validator name (default: this node's moniker)")
    create.add_argument("--identity", default="", help="identity signature, e.g. a Keybase id")
    create.add_argument("--website", default="", help="the validator's website")
    create.add_argument("--details", default="", help="a description of the validator")
    create.add_argument("--security-contact", default="", help="email for security issues")
    api.add_commission_flags(create)
    create.add_argument(
        "--min-self-delegation",
        default="1",
        metavar="AMOUNT",
        help="the least self-bond (in ugpc) the operator promises to keep (default 1)",
    )
    create.set_defaults(func=create_validator)

    edit = command(
        "edit-validator",
        "change the --from key's validator",
        "Change the moniker, commission rate (at most once a day, within max change rate) "
        "or minimum self-delegation (only upwards) of the validator --from operates.",
    )
    edit.add_argument("--moniker", default="", help="a new validator name")
    edit.add_argument(
        "--commission-rate",
        default="",
        metavar="RATE",
        help="a new commission rate (at most the max change rate away, once a day)",
    )
    edit.add_argument(
        "--min-self-delegation",
        default="",
        metavar="AMOUNT",
        help="a higher least self-bond (in ugpc)",
    )
    edit.set_defaults(func=edit_validator)

    for name, help_text, description, run in (
        (
            "delegate",
            "bond tokens to a validator",
            "Delegate AMOUNT to VALIDATOR.",
            delegate,
        ),
        (
            "unbond",
            "start unbonding tokens from a validator",
            "Undelegate AMOUNT from VALIDATOR; the tokens return after the unbonding period "
            "(see `query staking unbonding`).",
            unbond,
        ),
    ):
        parser = command(name, help_text, description)
        parser.add_argument(
            "validator", metavar="VALIDATOR", help="a validator's gpuvaloper1… operator address"
        )
        parser.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
        parser.set_defaults(func=run)

    redelegate = command(
        "redelegate",
        "move a delegation to another validator",
        "Move AMOUNT of the delegation from SOURCE to DESTINATION without unbonding.",
    )
    redelegate.add_argument(
        "source", metavar="SOURCE", help="gpuvaloper1… of the validator to move from"
    )
    redelegate.add_argument(
        "destination", metavar="DESTINATION", help="gpuvaloper1… of the validator to move to"
    )
    redelegate.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
    redelegate.set_defaults(func=redelegate_tokens)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    validator_help = ("VALIDATOR", "a validator's gpuvaloper1… operator address")
    delegator_help = ("DELEGATOR", "gpu1… address or key name")

    staking = api.command_group(commands, common, "staking", "validators and delegations")
    listing = api.query_command(staking, common, "validators", "validators, a page at a time")
    api.add_page_flags(listing, "validators")
    listing.set_defaults(func=staking_validators)
    api.query_command(staking, common, "validator", "one validator", validator_help).set_defaults(
        func=staking_validator
    )
    listing = api.query_command(
        staking, common, "delegations", "a delegator's delegations", delegator_help
    )
    api.add_page_flags(listing, "delegations")
    listing.set_defaults(func=staking_delegations)
    api.query_command(
        staking, common, "unbonding", "a delegator's unbonding entries", delegator_help
    ).set_defaults(func=staking_unbonding)
    api.query_command(
        staking, common, "redelegations", "a delegator's redelegations in transit", delegator_help
    ).set_defaults(func=staking_redelegations)
    api.query_command(staking, common, "params", "staking parameters").set_defaults(
        func=api.params_command(queries.PARAMS_PATH, gpuchain_staking_pb2, "staking")
    )


# --- arguments --------------------------------------------------------------------------


def consensus_pubkey(args: argparse.Namespace) -> bytes:
    """--pubkey (base64, or `{"@type": ..., "key": base64}`), else the node's consensus key."""
    if args.pubkey is None:
        home = Home(Path(args.home))
        key_file = home.config_dir / "priv_validator_key.json"
        if not key_file.is_file():
            raise CommandError(
                f"no --pubkey given and {key_file} does not exist: pass the validator's "
                "consensus public key, or --home of the node that will sign"
            )
        try:
            return consensus_key(home).public_key
        except (ValueError, KeyError, binascii.Error) as error:
            raise CommandError(f"cannot read the consensus key in {key_file}: {error}") from None
    text = args.pubkey.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
            type_url, text = document["@type"], document["key"]
        except (ValueError, KeyError, TypeError):
            raise CommandError(
                '--pubkey JSON must be {"@type": "/cosmos.crypto.ed25519.PubKey", "key": BASE64}'
            ) from None
        if type_url != PUBKEY_TYPE_URL:
            raise CommandError(f"--pubkey is a {type_url} key; validators sign with ed25519")
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CommandError(f"--pubkey {text!r} is not base64") from None
    if len(key) != PUBKEY_LENGTH:
        raise CommandError(
            f"--pubkey is {len(key)} bytes, an ed25519 public key is {PUBKEY_LENGTH}"
        )
    return key


def node_moniker(args: argparse.Namespace, fallback: str) -> str:
    """The moniker in --home's CometBFT config, or fallback when there is none."""
    try:
        config = tomllib.loads(Home(Path(args.home)).comet_config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return fallback
    moniker = config.get("moniker")
    return moniker if isinstance(moniker, str) and moniker else fallback


# --- transactions -----------------------------------------------------------------------


def create_validator(args: argparse.Namespace) -> int:
    """`tx staking create-validator --amount A --from KEY [--pubkey P] [...]`."""
    key = api.sender_key(args)
    message = staking_msgs.create_validator_msg(
        api.address_bytes(key.address),
        consensus_pubkey(args),
        api.one_coin(args.amount),
        staking_pb2.Description(
            moniker=args.moniker or node_moniker(args, key.name),
            identity=args.identity,
            website=args.website,
            security_contact=args.security_contact,
            details=args.details,
        ),
        (args.commission_rate, args.commission_max_rate, args.commission_max_change_rate),
        args.min_self_delegation,
    )
    return api.deliver(args, key, [api.checked(message, staking_msgs.validate_create_validator)])


def edit_validator(args: argparse.Namespace) -> int:
    """`tx staking edit-validator --from KEY [--moniker M] [--commission-rate R] [...]`."""
    if not (args.moniker or args.commission_rate or args.min_self_delegation):
        raise CommandError(
            "nothing to edit: give --moniker, --commission-rate or --min-self-delegation"
        )
    key = api.sender_key(args)
    message = staking_msgs.edit_validator_msg(
        api.operator_of(key), args.moniker, args.commission_rate, args.min_self_delegation
    )
    return api.deliver(args, key, [api.checked(message, staking_msgs.validate_edit_validator)])


def delegate(args: argparse.Namespace) -> int:
    """`tx staking delegate VALIDATOR AMOUNT --from KEY`."""
    key = api.sender_key(args)
    message = staking_msgs.delegate_msg(
        key.address, api.resolve_validator_address(args, args.validator), api.one_coin(args.amount)
    )
    return api.deliver(args, key, [api.checked(message, staking_msgs.validate_delegate)])


def unbond(args: argparse.Namespace) -> int:
    """`tx staking unbond VALIDATOR AMOUNT --from KEY`."""
    key = api.sender_key(args)
    message = staking_msgs.undelegate_msg(
        key.address, api.resolve_validator_address(args, args.validator), api.one_coin(args.amount)
    )
    return api.deliver(args, key, [api.checked(message, staking_msgs.validate_delegate)])


def redelegate_tokens(args: argparse.Namespace) -> int:
    """`tx staking redelegate SOURCE DESTINATION AMOUNT --from KEY`."""
    key = api.sender_key(args)
    message = staking_msgs.redelegate_msg(
        key.address,
        api.resolve_validator_address(args, args.source, "source validator"),
        api.resolve_validator_address(args, args.destination, "destination validator"),
        api.one_coin(args.amount),
    )
    return api.deliver(args, key, [api.checked(message, staking_msgs.validate_redelegate)])


# --- queries -----------------------------------------------------------------------------


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
        "delegator_shares": api.whole(validator.delegator_shares),
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
    response = api.query(
        args,
        queries.VALIDATORS_PATH,
        staking_query_pb2.QueryValidatorsRequest(pagination=api.page_request(args).to_proto()),
        staking_query_pb2.QueryValidatorsResponse(),
    )
    answer: dict[str, Any] = {
        "validators": [validator_json(v) for v in response.validators],
        "pagination": api.page_json(response.pagination),
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
    text = api.table(headers, rows) if rows else "no validators"
    api.emit(args, answer, text + api.page_text(answer.get("pagination")))
    return 0


def staking_validator(args: argparse.Namespace) -> int:
    """`query staking validator VALIDATOR`."""
    response = api.query(
        args,
        queries.VALIDATOR_PATH,
        staking_query_pb2.QueryValidatorRequest(
            validator_addr=api.resolve_validator_address(args, args.validator)
        ),
        staking_query_pb2.QueryValidatorResponse(),
    )
    answer = validator_json(response.validator)
    api.emit(args, answer, api.fields_text(answer))
    return 0


def staking_delegations(args: argparse.Namespace) -> int:
    """`query staking delegations DELEGATOR [--limit N] [--page-key K] [...]`."""
    delegator = api.resolve_address(args, args.delegator, "delegator")
    response = api.query(
        args,
        queries.DELEGATOR_DELEGATIONS_PATH,
        staking_query_pb2.QueryDelegatorDelegationsRequest(
            delegator_addr=delegator, pagination=api.page_request(args).to_proto()
        ),
        staking_query_pb2.QueryDelegatorDelegationsResponse(),
    )
    answer: dict[str, Any] = {
        "delegations": [
            {
                "validator": d.delegation.validator_address,
                "shares": api.whole(d.delegation.shares),
                "balance": d.balance.amount,
            }
            for d in response.delegation_responses
        ],
        "pagination": api.page_json(response.pagination),
    }
    rows = [[d["validator"], d["balance"], d["shares"]] for d in answer["delegations"]]
    text = (
        api.table(["VALIDATOR", "BALANCE", "SHARES"], rows)
        if rows
        else f"{delegator} has no delegations"
    )
    api.emit(args, answer, text + api.page_text(answer.get("pagination")))
    return 0


def entries_command(
    method: str, response_class: type[Message], columns: dict[str, str], nothing: str
) -> Callable[[argparse.Namespace], int]:
    """A `query staking …` command listing a delegator's entries of one kind: each entry
    field of columns (field → header) a column, `nothing` (with the delegator) when none."""

    def run(args: argparse.Namespace) -> int:
        delegator = api.resolve_address(args, args.delegator, "delegator")
        answer = api.message_json(
            api.query(
                args,
                method,
                gpuchain_staking_pb2.QueryDelegatorRequest(delegator=delegator),
                response_class(),
            )
        )
        rows = [[entry[field] for field in columns] for entry in answer["entries"]]
        text = api.table(list(columns.values()), rows) if rows else f"{delegator} {nothing}"
        api.emit(args, answer, text)
        return 0

    return run


staking_unbonding = entries_command(
    queries.UNBONDING_PATH,
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
    queries.REDELEGATIONS_PATH,
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
