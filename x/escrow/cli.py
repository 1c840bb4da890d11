"""`gpuchain query escrow …`: a deployment's escrow account."""

from __future__ import annotations

import argparse

from chain.cli import api
from chain.pb.gpuchain.escrow.v1 import query_pb2
from x.escrow import queries


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    """escrow has no messages: deployment and market move its tokens."""


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    escrow = api.command_group(commands, common, "escrow", "deployment escrow accounts")
    balance = api.query_command(escrow, common, "balance", "a deployment's escrow balance")
    balance.add_argument("--owner", required=True, help="the deployment owner (address or key)")
    balance.add_argument("--dseq", required=True, type=api.uint64, help="the deployment sequence")
    balance.set_defaults(func=escrow_balance)


def escrow_balance(args: argparse.Namespace) -> int:
    """`query escrow balance --owner ADDR --dseq N`."""
    owner = api.resolve_address(args, args.owner, "owner")
    response = api.query(
        args,
        queries.BALANCE_PATH,
        query_pb2.QueryBalanceRequest(owner=owner, dseq=args.dseq),
        query_pb2.QueryBalanceResponse(),
    )
    answer = api.message_json(response.account)
    api.emit(args, answer, api.fields_text(answer))
    return 0
