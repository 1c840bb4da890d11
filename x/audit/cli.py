"""`gpuchain tx audit …` and `gpuchain query audit …`: attributes auditors vouch for."""

from __future__ import annotations

import argparse
from typing import Any

from chain.cli import api
from chain.pb.gpuchain.audit.v1 import query_pb2
from x.audit import msgs, queries

AUDIT_GAS = 300_000


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    audit = api.command_group(commands, common, "audit", "provider attributes auditors sign")
    sign = api.tx_command(
        audit,
        common,
        "sign-attributes",
        "vouch for attributes of a provider",
        "Sign KEY=VALUE attributes on PROVIDER_ADDR as the --from key (replacing values "
        "it signed before for the same keys).",
        default_gas=AUDIT_GAS,
    )
    sign.add_argument("provider", metavar="PROVIDER_ADDR", help="gpu1… address or key name")
    sign.add_argument("attributes", metavar="KEY=VALUE", nargs="+", help="e.g. tier=gold")
    sign.set_defaults(func=sign_attributes)
    delete = api.tx_command(
        audit,
        common,
        "delete-attributes",
        "withdraw signed attributes",
        "Withdraw the --from key's attributes on PROVIDER_ADDR: the KEYs named, or all.",
        default_gas=AUDIT_GAS,
    )
    delete.add_argument("provider", metavar="PROVIDER_ADDR", help="gpu1… address or key name")
    delete.add_argument("keys", metavar="KEY", nargs="*", help="none: every attribute")
    delete.set_defaults(func=delete_attributes)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    audit = api.command_group(commands, common, "audit", "provider attributes auditors sign")
    attributes = api.query_command(
        audit,
        common,
        "attributes",
        "attributes auditors signed on a provider",
        ("PROVIDER_ADDR", "gpu1… address or key name"),
    )
    attributes.add_argument("--auditor", metavar="ADDR", help="only this auditor's")
    api.add_page_flags(attributes, "auditors")
    attributes.set_defaults(func=provider_attributes)


def parse_pairs(texts: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for text in texts:
        key, sep, value = text.partition("=")
        if not sep or not key or not value:
            raise api.CommandError(
                f"invalid attribute {text!r}: expected KEY=VALUE, e.g. tier=gold"
            )
        pairs.append((key, value))
    return pairs


def sign_attributes(args: argparse.Namespace) -> int:
    """`tx audit sign-attributes PROVIDER_ADDR KEY=VALUE… --from KEY`."""
    key = api.sender_key(args)
    owner = api.resolve_address(args, args.provider, "provider")
    message = msgs.sign_attributes_msg(owner, key.address, parse_pairs(args.attributes))
    return api.deliver(args, key, [api.checked(message, msgs.validate_sign)])


def delete_attributes(args: argparse.Namespace) -> int:
    """`tx audit delete-attributes PROVIDER_ADDR [KEY…] --from KEY`."""
    key = api.sender_key(args)
    owner = api.resolve_address(args, args.provider, "provider")
    message = msgs.delete_attributes_msg(owner, key.address, args.keys)
    return api.deliver(args, key, [api.checked(message, msgs.validate_delete)])


def provider_attributes(args: argparse.Namespace) -> int:
    """`query audit attributes PROVIDER_ADDR [--auditor ADDR]`."""
    owner = api.resolve_address(args, args.provider_addr, "provider")
    response = query_pb2.QueryAttributesResponse()
    if args.auditor:
        auditor = api.resolve_address(args, args.auditor, "auditor")
        request: Any = query_pb2.QueryProviderAuditorRequest(owner=owner, auditor=auditor)
        api.query(args, queries.PROVIDER_AUDITOR_PATH, request, response)
    else:
        request = query_pb2.QueryProviderAttributesRequest(
            owner=owner, pagination=api.page_request(args).to_proto()
        )
        api.query(args, queries.PROVIDER_ATTRIBUTES_PATH, request, response)
    answer: dict[str, Any] = {
        "attributes": [api.message_json(record) for record in response.attributes],
        "pagination": api.page_json(response.pagination),
    }
    rows = [
        [record["auditor"], ",".join(f"{a['key']}={a['value']}" for a in record["attributes"])]
        for record in answer["attributes"]
    ]
    text = api.table(["AUDITOR", "ATTRIBUTES"], rows) if rows else "no audited attributes"
    api.emit(args, answer, text + api.page_text(answer.get("pagination")))
    return 0
