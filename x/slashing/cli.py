"""`gpuchain tx slashing …`: bring a jailed validator back."""

from __future__ import annotations

import argparse

from chain.cli import api
from x.slashing import msgs

UNJAIL_GAS = 400_000


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    slashing = api.command_group(commands, common, "slashing", "validator liveness")
    unjail = api.tx_command(
        slashing,
        common,
        "unjail",
        "bring the --from key's jailed validator back",
        "Unjail the validator --from operates, once its downtime jail has ended.",
        default_gas=UNJAIL_GAS,
    )
    unjail.set_defaults(func=unjail_validator)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    """The slashing queries are still registered by chain/cli/staking_query.py."""


def unjail_validator(args: argparse.Namespace) -> int:
    """`tx slashing unjail --from KEY`."""
    key = api.sender_key(args)
    message = api.checked(msgs.unjail_msg(api.operator_of(key)), msgs.validate_unjail)
    return api.deliver(args, key, [message])
