"""`gpuchain tx market …` and `gpuchain query market …`: bids, leases and their orders.

An order, bid or lease is named by flags: `--owner ADDR --dseq N --gseq N --oseq N`, and
`--provider ADDR` for a bid or lease. The signer fills in its own side: a provider's
`--from` is the bid's provider; a tenant's `--from` is the owner.
"""

from __future__ import annotations

import argparse
from typing import Any

from chain.cli import api
from chain.pb.gpuchain.market.v1 import market_pb2, query_pb2
from x.market import msgs, queries, usage_cli
from x.market.types import BID_STATES, LEASE_STATES, ORDER_STATES

MARKET_GAS = 400_000
CLOSE_REASONS = {
    "owner": market_pb2.LEASE_CLOSED_REASON_OWNER,
    "provider": market_pb2.LEASE_CLOSED_REASON_PROVIDER,
    "manifest_timeout": market_pb2.LEASE_CLOSED_REASON_MANIFEST_TIMEOUT,
}


def _order_flags(parser: argparse.ArgumentParser, owner_required: bool = True) -> None:
    parser.add_argument(
        "--owner", required=owner_required, help="the deployment owner (address or key)"
    )
    parser.add_argument("--dseq", type=api.uint64, required=True, help="deployment sequence")
    parser.add_argument("--gseq", type=api.uint32, default=1, help="group sequence (default 1)")
    parser.add_argument("--oseq", type=api.uint32, default=1, help="order sequence (default 1)")


def _tx(
    group: api.Group, common: argparse.ArgumentParser, name: str, help_text: str, description: str
) -> argparse.ArgumentParser:
    return api.tx_command(group, common, name, help_text, description, default_gas=MARKET_GAS)


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    market = api.command_group(commands, common, "market", "bids and leases")
    bid = api.command_group(market, common, "bid", "a provider's bids")
    create = _tx(
        bid,
        common,
        "create",
        "bid on an order",
        "Bid --price per block on an order, locking --deposit until it is lost or closed.",
    )
    _order_flags(create)
    create.add_argument("--price", required=True, help="price per block, e.g. 5000ugpc")
    create.add_argument("--deposit", required=True, help="bid deposit, e.g. 500000ugpc")
    create.set_defaults(func=create_bid)
    close = _tx(
        bid, common, "close", "withdraw a bid", "Close your bid (a bid that won closes its lease)."
    )
    _order_flags(close)
    close.set_defaults(func=close_bid)

    lease = api.command_group(market, common, "lease", "leases")
    pick = _tx(
        lease,
        common,
        "create",
        "pick a bid (the order's owner)",
        "Take --provider's bid on your order before the bid window ends.",
    )
    _order_flags(pick, owner_required=False)
    pick.add_argument("--provider", required=True, help="the bidding provider")
    pick.set_defaults(func=create_lease)
    withdraw = _tx(
        lease,
        common,
        "withdraw",
        "collect a lease's pay (its provider)",
        "Pay out what the lease accrued, less the take rate.",
    )
    _order_flags(withdraw)
    withdraw.set_defaults(func=withdraw_lease)
    end = _tx(
        lease,
        common,
        "close",
        "close a lease",
        "The owner closes with --provider; the provider with --owner and --reason.",
    )
    _order_flags(end, owner_required=False)
    end.add_argument("--provider", help="the lease's provider (when the owner closes)")
    end.add_argument(
        "--reason",
        choices=sorted(CLOSE_REASONS),
        help="default: owner, or provider when --from is the provider",
    )
    end.set_defaults(func=close_lease)
    # usage (x/market/usage_cli.py)
    usage_cli.register_report(lease, common, _order_flags)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    market = api.command_group(commands, common, "market", "orders, bids and leases")
    for noun, states, func in (
        ("order", ORDER_STATES, list_orders),
        ("bid", BID_STATES, list_bids),
        ("lease", LEASE_STATES, list_leases),
    ):
        group = api.command_group(market, common, noun, f"{noun}s")
        listing = api.query_command(group, common, "list", f"{noun}s, a page at a time")
        listing.add_argument("--owner", help="only this owner's (address or key)")
        if noun != "order":
            listing.add_argument("--provider", help="only this provider's (address or key)")
        if noun == "bid":
            listing.add_argument(
                "--dseq", type=api.uint64, default=0, help="only this deployment's"
            )
            listing.add_argument("--gseq", type=api.uint32, default=0, help="only this group's")
            listing.add_argument("--oseq", type=api.uint32, default=0, help="only this order's")
        listing.add_argument("--state", choices=tuple(states), help="only in this state")
        api.add_page_flags(listing, f"{noun}s")
        listing.set_defaults(func=func)
        get = api.query_command(group, common, "get", f"one {noun}")
        _order_flags(get)
        if noun != "order":
            get.add_argument("--provider", required=True, help="the provider (address or key)")
        get.set_defaults(func=get_record, noun=noun)
    api.query_command(market, common, "params", "market parameters").set_defaults(
        func=api.params_command(queries.PARAMS_PATH, query_pb2, "market")
    )
    # usage (x/market/usage_cli.py)
    usage_cli.register_usage_query(market, common, _order_flags)


# --- tx ---------------------------------------------------------------------------------


def _owner(args: argparse.Namespace, default: str) -> str:
    return api.resolve_address(args, args.owner, "owner") if args.owner else default


def create_bid(args: argparse.Namespace) -> int:
    """`tx market bid create --owner ADDR --dseq N --gseq N --oseq N --price P --deposit D`."""
    key = api.sender_key(args)
    order = msgs.order_id(_owner(args, ""), args.dseq, args.gseq, args.oseq)
    message = api.checked(
        msgs.create_bid_msg(
            order, key.address, api.one_coin(args.price), api.one_coin(args.deposit)
        ),
        msgs.validate_create_bid,
    )
    return api.deliver(args, key, [message])


def close_bid(args: argparse.Namespace) -> int:
    """`tx market bid close --owner ADDR --dseq N --gseq N --oseq N` (as the provider)."""
    key = api.sender_key(args)
    bid = msgs.bid_id(_owner(args, ""), args.dseq, args.gseq, args.oseq, key.address)
    message = api.checked(msgs.close_bid_msg(bid), msgs.validate_bid_msg)
    return api.deliver(args, key, [message])


def create_lease(args: argparse.Namespace) -> int:
    """`tx market lease create --dseq N --gseq N --oseq N --provider ADDR` (as the owner)."""
    key = api.sender_key(args)
    provider = api.resolve_address(args, args.provider, "provider")
    bid = msgs.bid_id(_owner(args, key.address), args.dseq, args.gseq, args.oseq, provider)
    message = api.checked(msgs.create_lease_msg(bid), msgs.validate_bid_msg)
    return api.deliver(args, key, [message])


def withdraw_lease(args: argparse.Namespace) -> int:
    """`tx market lease withdraw --owner ADDR --dseq N --gseq N --oseq N` (as the provider)."""
    key = api.sender_key(args)
    lease = msgs.lease_id(_owner(args, ""), args.dseq, args.gseq, args.oseq, key.address)
    message = api.checked(msgs.withdraw_lease_msg(lease), msgs.validate_withdraw_lease)
    return api.deliver(args, key, [message])


def close_lease(args: argparse.Namespace) -> int:
    """`tx market lease close`: the owner names --provider; a provider names --owner."""
    key = api.sender_key(args)
    if args.provider:
        owner, provider = (
            _owner(args, key.address),
            api.resolve_address(args, args.provider, "provider"),
        )
        reason = args.reason or "owner"
    else:
        if not args.owner:
            raise api.CommandError("name the lease: --provider (as its owner) or --owner")
        owner, provider, reason = _owner(args, ""), key.address, args.reason or "provider"
    lease = msgs.lease_id(owner, args.dseq, args.gseq, args.oseq, provider)
    message = api.checked(
        msgs.close_lease_msg(lease, CLOSE_REASONS[reason]), msgs.validate_close_lease
    )
    return api.deliver(args, key, [message])


# --- queries ----------------------------------------------------------------------------


def _id_text(record: dict[str, Any], id_field: str) -> str:
    ident = record[id_field]
    parts = [ident["owner"], str(ident["dseq"]), str(ident["gseq"]), str(ident["oseq"])]
    return "/".join(parts + ([ident["provider"]] if "provider" in ident else []))


def _state_text(value: str) -> str:
    return value.rsplit("_STATE_", 1)[-1].lower()


def _list(
    args: argparse.Namespace,
    noun: str,
    answer: dict[str, Any],
    rows: list[list[str]],
    headers: list[str],
) -> int:
    text = api.table(headers, rows) if rows else f"no {noun}s"
    api.emit(args, answer, text + api.page_text(answer.get("pagination")))
    return 0


def list_orders(args: argparse.Namespace) -> int:
    """`query market order list [--owner ADDR] [--state open|active|closed]`."""
    response = api.query(
        args,
        queries.ORDERS_PATH,
        query_pb2.QueryOrdersRequest(
            owner=_owner(args, ""),
            state=args.state or "",
            pagination=api.page_request(args).to_proto(),
        ),
        query_pb2.QueryOrdersResponse(),
    )
    orders = [api.message_json(order) for order in response.orders]
    answer = {"orders": orders, "pagination": api.page_json(response.pagination)}
    rows = [
        [_id_text(o, "order_id"), _state_text(o["state"]), str(o.get("window_end", 0))]
        for o in orders
    ]
    return _list(args, "order", answer, rows, ["ORDER", "STATE", "WINDOW END"])


def list_bids(args: argparse.Namespace) -> int:
    """`query market bid list [--owner ADDR [--dseq N ...]] [--provider ADDR] [--state S]`."""
    provider = api.resolve_address(args, args.provider, "provider") if args.provider else ""
    response = api.query(
        args,
        queries.BIDS_PATH,
        query_pb2.QueryBidsRequest(
            owner=_owner(args, ""),
            dseq=args.dseq,
            gseq=args.gseq,
            oseq=args.oseq,
            provider=provider,
            state=args.state or "",
            pagination=api.page_request(args).to_proto(),
        ),
        query_pb2.QueryBidsResponse(),
    )
    bids = [api.message_json(bid) for bid in response.bids]
    answer = {"bids": bids, "pagination": api.page_json(response.pagination)}
    rows = [[_id_text(b, "bid_id"), _state_text(b["state"]), b["price"]["amount"]] for b in bids]
    return _list(args, "bid", answer, rows, ["BID", "STATE", "PRICE"])


def list_leases(args: argparse.Namespace) -> int:
    """`query market lease list [--owner ADDR] [--provider ADDR] [--state active|closed]`."""
    provider = api.resolve_address(args, args.provider, "provider") if args.provider else ""
    response = api.query(
        args,
        queries.LEASES_PATH,
        query_pb2.QueryLeasesRequest(
            owner=_owner(args, ""),
            provider=provider,
            state=args.state or "",
            pagination=api.page_request(args).to_proto(),
        ),
        query_pb2.QueryLeasesResponse(),
    )
    leases = [api.message_json(lease) for lease in response.leases]
    answer = {"leases": leases, "pagination": api.page_json(response.pagination)}
    rows = [
        [_id_text(x, "lease_id"), _state_text(x["state"]), x["price"]["amount"]] for x in leases
    ]
    return _list(args, "lease", answer, rows, ["LEASE", "STATE", "PRICE"])


GETS: dict[str, tuple[str, Any, Any, str]] = {
    "order": (
        queries.ORDER_PATH,
        query_pb2.QueryOrderRequest,
        query_pb2.QueryOrderResponse,
        "order",
    ),
    "bid": (queries.BID_PATH, query_pb2.QueryBidRequest, query_pb2.QueryBidResponse, "bid"),
    "lease": (
        queries.LEASE_PATH,
        query_pb2.QueryLeaseRequest,
        query_pb2.QueryLeaseResponse,
        "lease",
    ),
}


def get_record(args: argparse.Namespace) -> int:
    """`query market order|bid|lease get --owner ADDR --dseq N --gseq N --oseq N
    [--provider ADDR]`."""
    path, request_class, response_class, field = GETS[args.noun]
    request = request_class(owner=_owner(args, ""), dseq=args.dseq, gseq=args.gseq, oseq=args.oseq)
    if args.noun != "order":
        request.provider = api.resolve_address(args, args.provider, "provider")
    response = api.query(args, path, request, response_class())
    answer = api.message_json(getattr(response, field))
    api.emit(args, answer, api.fields_text(answer))
    return 0
