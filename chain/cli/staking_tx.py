"""`gpuchain tx staking|slashing|distribution`: run a validator and delegate to one.

Every command signs with `--from KEY` and shares `tx bank send`'s flags (`--fees`, `--gas`,
`--yes`, `--broadcast-mode`, `--generate-only`, ...); staking transactions default to
400000 gas. Validators are named by operator address (`gpuvaloper1…`) or by the keyring
key that operates them; amounts are one coin of the bond denom, e.g. `1000000ugpc`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from google.protobuf.message import Message

from chain.cli.client import (
    abci_query,
    address_bytes,
    parse_coins_argument,
    resolve_validator_address,
    rpc_client,
)
from chain.cli.output import CommandError
from chain.cli.tx import add_build_flags, deliver, sender_key
from chain.config import Home
from chain.crypto import (
    PUBKEY_LENGTH,
    PUBKEY_TYPE_URL,
    encode_validator_address,
)
from chain.errors import AppError
from chain.keyring import KeyInfo
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.distribution.v1beta1 import query_pb2 as distribution_query_pb2
from chain.pb.cosmos.distribution.v1beta1 import tx_pb2 as distribution_tx_pb2
from chain.pb.cosmos.slashing.v1beta1 import tx_pb2 as slashing_tx_pb2
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.pb.cosmos.staking.v1beta1 import tx_pb2 as staking_tx_pb2
from x.distribution import msgs as distribution_msgs
from x.slashing import msgs as slashing_msgs
from x.staking import msgs as staking_msgs

STAKING_GAS = 400_000
REWARDS_QUERY = "/cosmos.distribution.v1beta1.Query/DelegationTotalRewards"

Group: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(tx_commands: Group, common: argparse.ArgumentParser) -> None:
    """Add `tx staking`, `tx slashing` and `tx distribution` under `tx`."""

    def group(name: str, help_text: str) -> Group:
        parser = tx_commands.add_parser(name, parents=[common], help=help_text)
        return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="CMD")

    def command(
        parent: Group, name: str, help_text: str, description: str
    ) -> argparse.ArgumentParser:
        parser = parent.add_parser(name, parents=[common], help=help_text, description=description)
        parser.add_argument(
            "--from", dest="from_key", required=True, metavar="KEY", help="keyring key that signs"
        )
        add_build_flags(parser, default_gas=STAKING_GAS)
        return parser

    staking = group("staking", "validators and delegations")

    create = command(
        staking,
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
        staking,
        "edit-validator",
        "change the --from key's validator",
        "Change the moniker, commission rate (at most once a day, within max change rate) "
        "or minimum self-delegation (only upwards) of the validator --from operates.",
    )
    edit.add_argument("--moniker", default="")
    edit.add_argument("--commission-rate", default="", metavar="RATE")
    edit.add_argument("--min-self-delegation", default="", metavar="AMOUNT")
    edit.set_defaults(func=edit_validator)

    delegate = command(
        staking, "delegate", "bond tokens to a validator", "Delegate AMOUNT to VALIDATOR."
    )
    delegate.add_argument("validator", metavar="VALIDATOR", help="gpuvaloper1… or key name")
    delegate.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
    delegate.set_defaults(func=delegate_tokens)

    unbond = command(
        staking,
        "unbond",
        "start unbonding tokens from a validator",
        "Undelegate AMOUNT from VALIDATOR; the tokens return after the unbonding period "
        "(see `query staking unbonding`).",
    )
    unbond.add_argument("validator", metavar="VALIDATOR", help="gpuvaloper1… or key name")
    unbond.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
    unbond.set_defaults(func=unbond_tokens)

    redelegate = command(
        staking,
        "redelegate",
        "move a delegation to another validator",
        "Move AMOUNT of the delegation from SOURCE to DESTINATION without unbonding.",
    )
    redelegate.add_argument("source", metavar="SOURCE", help="gpuvaloper1… or key name")
    redelegate.add_argument("destination", metavar="DESTINATION", help="gpuvaloper1… or key name")
    redelegate.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
    redelegate.set_defaults(func=redelegate_tokens)

    slashing = group("slashing", "validator liveness")
    unjail = command(
        slashing,
        "unjail",
        "bring the --from key's jailed validator back",
        "Unjail the validator --from operates, once its downtime jail has ended.",
    )
    unjail.set_defaults(func=unjail_validator)

    distribution = group("distribution", "staking rewards")
    withdraw = command(
        distribution,
        "withdraw-rewards",
        "withdraw a delegation's rewards",
        "Withdraw --from's pending rewards of its delegation to VALIDATOR; with --commission "
        "(--from must be VALIDATOR's operator) also its accumulated commission, in the same tx.",
    )
    withdraw.add_argument("validator", metavar="VALIDATOR", help="gpuvaloper1… or key name")
    withdraw.add_argument(
        "--commission", action="store_true", help="also withdraw the validator's commission"
    )
    withdraw.set_defaults(func=withdraw_rewards)
    withdraw_all = command(
        distribution,
        "withdraw-all-rewards",
        "withdraw the rewards of every delegation",
        "Withdraw --from's pending rewards from every validator it delegates to, in one tx.",
    )
    withdraw_all.set_defaults(func=withdraw_all_rewards)


# --- arguments --------------------------------------------------------------------------


def operator_of(key: KeyInfo) -> str:
    """The operator address of the validator a key runs (or would run)."""
    return encode_validator_address(address_bytes(key.address))


def bond_coin(text: str) -> coin_pb2.Coin:
    """One positive coin, e.g. "1000000ugpc"."""
    coins = list(parse_coins_argument(text, "amount"))
    if len(coins) != 1:
        raise CommandError(f"invalid amount {text!r}: expected one coin, e.g. 1000000ugpc")
    return coin_pb2.Coin(denom=coins[0].denom, amount=str(coins[0].amount))


def consensus_pubkey(args: argparse.Namespace) -> bytes:
    """--pubkey (base64, or `{"@type": ..., "key": base64}`), else the node's consensus key."""
    if args.pubkey is None:
        from chain.cli.gentx import consensus_key

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


def _checked(message: Message, validate: Callable[[Any], None]) -> Message:
    """Run the module's stateless check here, so a bad argument fails before signing."""
    try:
        validate(message)
    except AppError as error:
        raise CommandError(error.log) from None
    return message


def _send(args: argparse.Namespace, key: KeyInfo, *messages: Message) -> int:
    return deliver(args, key, messages)


# --- staking ----------------------------------------------------------------------------


def create_validator(args: argparse.Namespace) -> int:
    """`tx staking create-validator --amount A --from KEY [--pubkey P] [...]`."""
    key = sender_key(args)
    message = staking_msgs.create_validator_msg(
        address_bytes(key.address),
        consensus_pubkey(args),
        bond_coin(args.amount),
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
    return _send(args, key, _checked(message, staking_msgs.validate_create_validator))


def edit_validator(args: argparse.Namespace) -> int:
    """`tx staking edit-validator --from KEY [--moniker M] [--commission-rate R] [...]`."""
    if not (args.moniker or args.commission_rate or args.min_self_delegation):
        raise CommandError(
            "nothing to edit: give --moniker, --commission-rate or --min-self-delegation"
        )
    key = sender_key(args)
    message = staking_tx_pb2.MsgEditValidator(
        description=staking_pb2.Description(moniker=args.moniker),
        validator_address=operator_of(key),
        commission_rate=args.commission_rate,
        min_self_delegation=args.min_self_delegation,
    )
    return _send(args, key, _checked(message, staking_msgs.validate_edit_validator))


def delegate_tokens(args: argparse.Namespace) -> int:
    """`tx staking delegate VALIDATOR AMOUNT --from KEY`."""
    key = sender_key(args)
    message = staking_tx_pb2.MsgDelegate(
        delegator_address=key.address,
        validator_address=resolve_validator_address(args, args.validator),
        amount=bond_coin(args.amount),
    )
    return _send(args, key, _checked(message, staking_msgs.validate_delegate))


def unbond_tokens(args: argparse.Namespace) -> int:
    """`tx staking unbond VALIDATOR AMOUNT --from KEY`."""
    key = sender_key(args)
    message = staking_tx_pb2.MsgUndelegate(
        delegator_address=key.address,
        validator_address=resolve_validator_address(args, args.validator),
        amount=bond_coin(args.amount),
    )
    return _send(args, key, _checked(message, staking_msgs.validate_delegate))


def redelegate_tokens(args: argparse.Namespace) -> int:
    """`tx staking redelegate SOURCE DESTINATION AMOUNT --from KEY`."""
    key = sender_key(args)
    message = staking_tx_pb2.MsgBeginRedelegate(
        delegator_address=key.address,
        validator_src_address=resolve_validator_address(args, args.source, "source validator"),
        validator_dst_address=resolve_validator_address(
            args, args.destination, "destination validator"
        ),
        amount=bond_coin(args.amount),
    )
    return _send(args, key, _checked(message, staking_msgs.validate_redelegate))


# --- slashing and distribution ----------------------------------------------------------


def unjail_validator(args: argparse.Namespace) -> int:
    """`tx slashing unjail --from KEY`."""
    key = sender_key(args)
    message = slashing_tx_pb2.MsgUnjail(validator_addr=operator_of(key))
    return _send(args, key, _checked(message, slashing_msgs.validate_unjail))


def withdraw_rewards(args: argparse.Namespace) -> int:
    """`tx distribution withdraw-rewards VALIDATOR --from KEY [--commission]`."""
    key = sender_key(args)
    validator = resolve_validator_address(args, args.validator)
    messages: list[Message] = [
        _checked(
            distribution_tx_pb2.MsgWithdrawDelegatorReward(
                delegator_address=key.address, validator_address=validator
            ),
            distribution_msgs.validate_withdraw_delegator_reward,
        )
    ]
    if args.commission:
        if operator_of(key) != validator:
            raise CommandError(
                f"--commission: {key.name} ({key.address}) is not the operator of {validator}; "
                f"it operates {operator_of(key)}"
            )
        messages.append(
            _checked(
                distribution_tx_pb2.MsgWithdrawValidatorCommission(validator_address=validator),
                distribution_msgs.validate_withdraw_validator_commission,
            )
        )
    return _send(args, key, *messages)


def withdraw_all_rewards(args: argparse.Namespace) -> int:
    """`tx distribution withdraw-all-rewards --from KEY`: one message per delegation."""
    key = sender_key(args)
    answer = abci_query(
        rpc_client(args),
        REWARDS_QUERY,
        distribution_query_pb2.QueryDelegationTotalRewardsRequest(delegator_address=key.address),
        distribution_query_pb2.QueryDelegationTotalRewardsResponse(),
    )
    operators = [entry.validator_address for entry in answer.rewards]
    if not operators:
        raise CommandError(f"{key.name} ({key.address}) has no delegations to withdraw from")
    messages = [
        distribution_tx_pb2.MsgWithdrawDelegatorReward(
            delegator_address=key.address, validator_address=operator
        )
        for operator in operators
    ]
    return _send(args, key, *messages)
