"""`gpuchain tx echo say TEXT --from KEY` and `gpuchain query echo said ADDRESS`."""

from __future__ import annotations

import argparse

from chain.cli import api
from x.echo import types


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    echo = api.command_group(commands, common, "echo", "store a line of text")
    say = api.tx_command(
        echo, common, "say", "store TEXT for the --from key", "Store TEXT for the --from key."
    )
    say.add_argument("text", metavar="TEXT")
    say.set_defaults(func=run_say)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    echo = api.command_group(commands, common, "echo", "lines of text")
    said = echo.add_parser("said", parents=[common], help="what an account said last")
    said.add_argument("address", metavar="ADDRESS", help="address or keyring key name")
    said.set_defaults(func=run_said)


def run_say(args: argparse.Namespace) -> int:
    key = api.sender_key(args)
    return api.deliver(args, key, [types.MsgSay(sender=key.address, text=args.text)])


def run_said(args: argparse.Namespace) -> int:
    address = api.resolve_address(args, args.address)
    answer = api.query(
        args, types.SAID_PATH, types.QuerySaidRequest(address=address), types.QuerySaidResponse()
    )
    api.emit(args, {"address": address, "text": answer.text}, answer.text)
    return 0
