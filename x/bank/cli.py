"""`gpuchain tx bank …`: send tokens."""

from __future__ import annotations

import argparse

from chain.cli import api
from chain.coins import Coins
from x.bank import msgs


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    bank_commands = api.command_group(commands, common, "bank", "bank transactions")

    send = bank_commands.add_parser(
        "send",
        parents=[common],
        help="send tokens from a keyring key to an address",
        description="Send AMOUNT (e.g. 1000ugpc) from the keyring key FROM (name or address) "
        "to the address TO.",
    )
    send.add_argument("from_key", metavar="FROM", help="keyring key name or address")
    send.add_argument("to", metavar="TO", help="recipient address")
    send.add_argument("amount", metavar="AMOUNT", help="coins, e.g. 1000ugpc")
    api.add_build_flags(send)
    send.set_defaults(func=bank_send)

    multi_send = bank_commands.add_parser(
        "multi-send",
        parents=[common],
        help="send the same amount to several addresses in one message",
        description="Send AMOUNT from FROM to each of TO1 [TO2 ...] (each recipient gets "
        "AMOUNT) in one MsgMultiSend.",
    )
    multi_send.add_argument("from_key", metavar="FROM", help="keyring key name or address")
    multi_send.add_argument(
        "recipients_and_amount",
        metavar="TO [TO ...] AMOUNT",
        nargs="+",
        help="recipient addresses, then the amount each one receives",
    )
    api.add_build_flags(multi_send)
    multi_send.set_defaults(func=bank_multi_send)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    """The bank queries are still registered by chain/cli/query.py."""


def _positive_amount(text: str) -> Coins:
    amount = api.parse_coins_argument(text, "amount")
    if not amount:
        raise api.CommandError(f"invalid amount {text!r}: nothing to send")
    return amount


def bank_send(args: argparse.Namespace) -> int:
    """`tx bank send FROM TO AMOUNT`."""
    sender = api.sender_key(args)
    recipient = api.resolve_address(args, args.to, "recipient")
    amount = _positive_amount(args.amount)
    message = msgs.send_msg(sender.address, recipient, amount)
    return api.deliver(args, sender, [message])


def bank_multi_send(args: argparse.Namespace) -> int:
    """`tx bank multi-send FROM TO1 [TO2 ...] AMOUNT`: every recipient gets AMOUNT."""
    *recipient_texts, amount_text = args.recipients_and_amount
    if not recipient_texts:
        raise api.CommandError("multi-send needs at least one recipient before AMOUNT")
    sender = api.sender_key(args)
    recipients = [api.resolve_address(args, text, "recipient") for text in recipient_texts]
    amount = _positive_amount(amount_text)
    message = msgs.multi_send_msg(sender.address, [(to, amount) for to in recipients])
    return api.deliver(args, sender, [message])
