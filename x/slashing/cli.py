"""`gpuchain tx slashing …` and `gpuchain query slashing …`: validator liveness."""

from __future__ import annotations

import argparse
import base64
import binascii
from typing import Any

from chain.cli import api
from chain.crypto import PUBKEY_LENGTH, address_from_pubkey
from chain.pb.gpuchain.slashing.v1 import query_pb2 as gpuchain_slashing_pb2
from x.slashing import msgs, queries

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
    slashing = api.command_group(commands, common, "slashing", "validator liveness")
    api.query_command(
        slashing,
        common,
        "signing-info",
        "a validator's liveness record",
        (
            "VALIDATOR",
            "gpuvaloper1… operator address, consensus address (40 hex) "
            "or consensus public key (base64)",
        ),
    ).set_defaults(func=slashing_signing_info)
    listing = api.query_command(
        slashing, common, "signing-infos", "validators' liveness records, a page at a time"
    )
    api.add_page_flags(listing, "records")
    listing.set_defaults(func=slashing_signing_infos)
    api.query_command(slashing, common, "params", "slashing parameters").set_defaults(
        func=api.params_command(queries.PARAMS_PATH, gpuchain_slashing_pb2, "slashing")
    )


def unjail_validator(args: argparse.Namespace) -> int:
    """`tx slashing unjail --from KEY`."""
    key = api.sender_key(args)
    message = api.checked(msgs.unjail_msg(api.operator_of(key)), msgs.validate_unjail)
    return api.deliver(args, key, [message])


# --- queries -----------------------------------------------------------------------------


def signing_info_request(args: argparse.Namespace, text: str) -> dict[str, str]:
    """The SigningInfo query's argument for an operator, key name, consensus address or key."""
    cleaned = text.strip()
    if cleaned.lower().startswith("gpuvaloper"):
        return {"validator": api.resolve_validator_address(args, cleaned)}
    hex_text = cleaned.removeprefix("0x").removeprefix("0X")
    if len(hex_text) == 40:
        try:
            bytes.fromhex(hex_text)
        except ValueError:
            pass
        else:
            return {"consensus_address": hex_text.upper()}
    try:
        pubkey = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        pubkey = b""
    if len(pubkey) == PUBKEY_LENGTH:
        return {"consensus_address": address_from_pubkey(pubkey).hex().upper()}
    try:
        return {"validator": api.resolve_validator_address(args, cleaned)}
    except api.CommandError:
        raise api.CommandError(
            f"invalid validator {text!r}: expected a gpuvaloper1… operator address, "
            "a consensus address (40 hex digits) or a base64 ed25519 consensus key"
        ) from None


def slashing_signing_info(args: argparse.Namespace) -> int:
    """`query slashing signing-info VALIDATOR_OR_CONSENSUS_ADDRESS`."""
    response = api.query(
        args,
        queries.SIGNING_INFO_PATH,
        gpuchain_slashing_pb2.QuerySigningInfoRequest(**signing_info_request(args, args.validator)),
        gpuchain_slashing_pb2.QuerySigningInfoResponse(),
    )
    answer = api.message_json(response.signing_info)
    api.emit(args, answer, api.fields_text(answer))
    return 0


def slashing_signing_infos(args: argparse.Namespace) -> int:
    """`query slashing signing-infos [--limit N] [--page-key K] [...]`."""
    response = api.query(
        args,
        queries.SIGNING_INFOS_PATH,
        gpuchain_slashing_pb2.QuerySigningInfosRequest(
            pagination=api.page_request(args).to_proto()
        ),
        gpuchain_slashing_pb2.QuerySigningInfosResponse(),
    )
    answer: dict[str, Any] = {
        "signing_infos": [api.message_json(info) for info in response.signing_infos],
        "pagination": api.page_json(response.pagination),
    }
    rows = [
        [
            i["address"],
            i["start_height"],
            i["missed_blocks_counter"],
            i["jailed_until"],
            "yes" if i["tombstoned"] else "no",
        ]
        for i in answer["signing_infos"]
    ]
    headers = ["CONSENSUS ADDRESS", "START", "MISSED", "JAILED UNTIL", "TOMBSTONED"]
    text = api.table(headers, rows) if rows else "no signing infos"
    api.emit(args, answer, text + api.page_text(answer.get("pagination")))
    return 0
