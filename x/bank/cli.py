"""`gpuchain tx bank …` and `gpuchain query bank …`: send tokens, read balances and supply."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message

from chain.cli import api
from chain.coins import Coins
from chain.pb.cosmos.bank.v1beta1 import query_pb2
from chain.pb.cosmos.base.query.v1beta1.pagination_pb2 import PageResponse
from chain.store import decode_uint
from x.bank import keys, msgs, queries


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    bank_commands = api.command_group(commands, common, "bank", "bank transactions")

    def command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        """A bank tx command signed by the FROM key (the first argument, as in Cosmos)."""
        parser = bank_commands.add_parser(
            name, parents=[common], help=help_text, description=description
        )
        parser.add_argument("from_key", metavar="FROM", help="keyring key name or address")
        api.add_build_flags(parser)
        return parser

    send = command(
        "send",
        "send tokens from a keyring key to an address",
        "Send AMOUNT (e.g. 1000ugpc) from the keyring key FROM (name or address) "
        "to the address TO.",
    )
    send.add_argument("to", metavar="TO", help="recipient address")
    send.add_argument("amount", metavar="AMOUNT", help="coins, e.g. 1000ugpc")
    send.set_defaults(func=bank_send)

    multi_send = command(
        "multi-send",
        "send the same amount to several addresses in one message",
        "Send AMOUNT from FROM to each of TO1 [TO2 ...] (each recipient gets "
        "AMOUNT) in one MsgMultiSend.",
    )
    multi_send.add_argument(
        "recipients_and_amount",
        metavar="TO [TO ...] AMOUNT",
        nargs="+",
        help="recipient addresses, then the amount each one receives",
    )
    multi_send.set_defaults(func=bank_multi_send)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    bank_commands = api.command_group(commands, common, "bank", "balances and supply")
    balances = bank_commands.add_parser("balances", parents=[common], help="an account's balances")
    balances.add_argument("address", metavar="ADDRESS", help="address or keyring key name")
    balances.add_argument("--denom", help="only this denom")
    balances.add_argument(
        "--prove", action="store_true", help="verify the balance with a Merkle proof (--denom)"
    )
    api.add_page_flags(balances, "denoms")
    balances.set_defaults(func=bank_balances)
    total = bank_commands.add_parser("total", parents=[common], help="total supply")
    total.add_argument("--denom", help="only this denom")
    api.add_page_flags(total, "denoms")
    total.set_defaults(func=bank_total)


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


# --- queries -----------------------------------------------------------------------------


def _coins_text(label: str, coins: list[dict[str, Any]]) -> str:
    if not coins:
        return f"{label}: []"
    lines = [f"{label}:"]
    for coin in coins:
        lines.append(f'- amount: "{coin["amount"]}"')
        lines.append(f"  denom: {coin['denom']}")
    return "\n".join(lines)


def _coin_text(coin: dict[str, Any]) -> str:
    return f'amount: "{coin["amount"]}"\ndenom: {coin["denom"]}'


def _emit_coin(args: argparse.Namespace, coin: Message) -> int:
    """One coin (a Balance or SupplyOf answer) as Cosmos prints it."""
    data = api.message_json(coin)
    api.emit(args, data, _coin_text(data))
    return 0


def _emit_coins(
    args: argparse.Namespace, label: str, coins: Sequence[Message], page: PageResponse
) -> int:
    """A page of coins (balances or supply) as Cosmos prints it, with how to go on."""
    listed = [api.message_json(coin) for coin in coins]
    pagination = api.page_json(page)
    text = _coins_text(label, listed) + api.page_text(pagination)
    api.emit(args, {label: listed, "pagination": pagination}, text)
    return 0


def bank_balances(args: argparse.Namespace) -> int:
    """`query bank balances ADDRESS [--denom D] [--prove]`."""
    address = api.resolve_address(args, args.address)
    if args.denom:
        api.check_denom(args.denom)
    if args.prove:
        if not args.denom:
            raise api.CommandError("--prove needs --denom: a proof covers one balance")
        proven = api.prove_store_key(args, keys.balance_key(api.address_bytes(address), args.denom))
        coin = {"denom": args.denom, "amount": str(decode_uint(proven.read.value))}
        text = f"{_coin_text(coin)}\n{proven.message}"
        api.emit(args, {**coin, "proof": proven.to_json()}, text)
        return 0
    if args.denom:
        balance = api.query(
            args,
            queries.BALANCE_PATH,
            query_pb2.QueryBalanceRequest(address=address, denom=args.denom),
            query_pb2.QueryBalanceResponse(),
        )
        return _emit_coin(args, balance.balance)
    balances = api.query(
        args,
        queries.ALL_BALANCES_PATH,
        query_pb2.QueryAllBalancesRequest(
            address=address, pagination=api.page_request(args).to_proto()
        ),
        query_pb2.QueryAllBalancesResponse(),
    )
    return _emit_coins(args, "balances", balances.balances, balances.pagination)


def bank_total(args: argparse.Namespace) -> int:
    """`query bank total [--denom D]`."""
    if args.denom:
        api.check_denom(args.denom)
        supply_of = api.query(
            args,
            queries.SUPPLY_OF_PATH,
            query_pb2.QuerySupplyOfRequest(denom=args.denom),
            query_pb2.QuerySupplyOfResponse(),
        )
        return _emit_coin(args, supply_of.amount)
    total = api.query(
        args,
        queries.TOTAL_SUPPLY_PATH,
        query_pb2.QueryTotalSupplyRequest(pagination=api.page_request(args).to_proto()),
        query_pb2.QueryTotalSupplyResponse(),
    )
    return _emit_coins(args, "supply", total.supply, total.pagination)
