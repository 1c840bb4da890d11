"""`gpuchain tx staking …`: run a validator and delegate to one.

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
from pathlib import Path

from chain.cli import api
from chain.cli.api import CommandError
from chain.config import Home, consensus_key
from chain.crypto import PUBKEY_LENGTH, PUBKEY_TYPE_URL
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from x.staking import msgs as staking_msgs

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
    create.add_argument("--identity", default="")
    create.add_argument("--website", default="")
    create.add_argument("--details", default="")
    create.add_argument("--security-contact", default="")
    create.add_argument("--commission-rate", default="0.10", metavar="RATE")
    create.add_argument("--commission-max-rate", default="0.20", metavar="RATE")
    create.add_argument("--commission-max-change-rate", default="0.01", metavar="RATE")
    create.add_argument("--min-self-delegation", default="1", metavar="AMOUNT")
    create.set_defaults(func=create_validator)

    edit = command(
        "edit-validator",
        "change the --from key's validator",
        "Change the moniker, commission rate (at most once a day, within max change rate) "
        "or minimum self-delegation (only upwards) of the validator --from operates.",
    )
    edit.add_argument("--moniker", default="")
    edit.add_argument("--commission-rate", default="", metavar="RATE")
    edit.add_argument("--min-self-delegation", default="", metavar="AMOUNT")
    edit.set_defaults(func=edit_validator)

    delegate = command("delegate", "bond tokens to a validator", "Delegate AMOUNT to VALIDATOR.")
    delegate.add_argument("validator", metavar="VALIDATOR", help="gpuvaloper1… or key name")
    delegate.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
    delegate.set_defaults(func=delegate_tokens)

    unbond = command(
        "unbond",
        "start unbonding tokens from a validator",
        "Undelegate AMOUNT from VALIDATOR; the tokens return after the unbonding period "
        "(see `query staking unbonding`).",
    )
    unbond.add_argument("validator", metavar="VALIDATOR", help="gpuvaloper1… or key name")
    unbond.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
    unbond.set_defaults(func=unbond_tokens)

    redelegate = command(
        "redelegate",
        "move a delegation to another validator",
        "Move AMOUNT of the delegation from SOURCE to DESTINATION without unbonding.",
    )
    redelegate.add_argument("source", metavar="SOURCE", help="gpuvaloper1… or key name")
    redelegate.add_argument("destination", metavar="DESTINATION", help="gpuvaloper1… or key name")
    redelegate.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
    redelegate.set_defaults(func=redelegate_tokens)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    """The staking queries are still registered by chain/cli/staking_query.py."""


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


def delegate_tokens(args: argparse.Namespace) -> int:
    """`tx staking delegate VALIDATOR AMOUNT --from KEY`."""
    key = api.sender_key(args)
    message = staking_msgs.delegate_msg(
        key.address, api.resolve_validator_address(args, args.validator), api.one_coin(args.amount)
    )
    return api.deliver(args, key, [api.checked(message, staking_msgs.validate_delegate)])


def unbond_tokens(args: argparse.Namespace) -> int:
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
