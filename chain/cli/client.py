"""What `gpuchain tx` and `gpuchain query` share: the node, addresses, tx JSON and tx results.

Every failure here is a `CommandError` naming the problem, so a command prints one line
and exits 1 instead of showing a stack trace.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from chain.cli.output import CommandError
from chain.coins import Coins
from chain.crypto import (
    ADDRESS_PREFIX,
    VALIDATOR_PREFIX,
    AddressError,
    decode_address,
    decode_validator_address,
    encode_validator_address,
)
from chain.errors import KEY_NOT_FOUND, AppError
from chain.keyring import KeyInfo, Keyring, KeyringError
from chain.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest
from chain.pb.cosmos.auth.v1beta1 import auth_pb2
from chain.pb.cosmos.auth.v1beta1 import query_pb2 as auth_query_pb2
from chain.pb.cosmos.bank.v1beta1 import tx_pb2 as bank_tx_pb2  # noqa: F401  (see below)
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.cosmos.crypto.ed25519 import keys_pb2  # noqa: F401  (see below)
from chain.pb.cosmos.tx.v1beta1 import tx_pb2
from chain.rpc import CometRpc, RpcError

# The bank and ed25519 modules are imported for their side effect: json_format resolves
# the "@type" of Any fields (messages, public keys) through the default descriptor pool.

ACCOUNT_QUERY_PATH = "/cosmos.auth.v1beta1.Query/Account"

MessageT = TypeVar("MessageT", bound=Message)


# --- the node ------------------------------------------------------------------------


def rpc_client(args: argparse.Namespace) -> CometRpc:
    """The CometBFT RPC client for --node."""
    return CometRpc(args.node)


@contextlib.contextmanager
def node_errors() -> Iterator[None]:
    """Turn an unreachable or complaining node into a one-line CommandError."""
    try:
        yield
    except RpcError as error:
        raise CommandError(str(error)) from None


def node_chain_id(rpc: CometRpc) -> str:
    """The chain id the node runs (CometBFT's `network`)."""
    with node_errors():
        network: str = rpc.status()["node_info"]["network"]
    return network


def fetch_tx(rpc: CometRpc, tx_hash: str) -> dict[str, Any] | None:
    """The committed tx with this hash (CometBFT's `tx` result), or None if not indexed."""
    try:
        result: dict[str, Any] = rpc.tx(tx_hash)
    except RpcError as error:
        if "not found" in str(error):
            return None
        raise CommandError(str(error)) from None
    return result


def wait_for_tx(rpc: CometRpc, tx_hash: str, timeout: float) -> dict[str, Any] | None:
    """Poll until the tx is in a committed block; None if it is not within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = fetch_tx(rpc, tx_hash)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def abci_query(rpc: CometRpc, path: str, request: Message, response: MessageT) -> MessageT:
    """Run a gRPC-style ABCI query and parse its answer into response.

    Raises CommandError when the node is unreachable or answers with a non-zero code
    (the message carries the codespace, code and the app's log).
    """
    with node_errors():
        return rpc.query_message(path, request, response)


def add_commission_flags(parser: argparse.ArgumentParser) -> None:
    """A new validator's commission: rate, max rate and max daily change (Cosmos's defaults)."""
    parser.add_argument(
        "--commission-rate", default="0.10", metavar="RATE", help="commission (default 0.10)"
    )
    parser.add_argument(
        "--commission-max-rate",
        default="0.20",
        metavar="RATE",
        help="the highest commission ever allowed (default 0.20)",
    )
    parser.add_argument(
        "--commission-max-change-rate",
        default="0.01",
        metavar="RATE",
        help="the most the commission may change in a day (default 0.01)",
    )


def add_page_flags(parser: argparse.ArgumentParser, items: str) -> None:
    """Cosmos CLIs' pagination flags on a list query."""
    parser.add_argument(
        "--limit",
        type=_count,
        default=0,
        help=f"{items} per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})",
    )
    parser.add_argument("--offset", type=_count, default=0, help=f"skip this many {items}")
    parser.add_argument(
        "--page-key", default="", help="start at this next_key of the previous page (base64)"
    )
    parser.add_argument(
        "--count-total", action="store_true", help=f"count every {items[:-1]} (with --offset)"
    )
    parser.add_argument("--reverse", action="store_true", help="list in reverse order")


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative integer")
    return int(text)


def page_request(args: argparse.Namespace) -> PageRequest:
    """The page the flags of add_page_flags ask for; raises CommandError for a bad key."""
    try:
        key = base64.b64decode(args.page_key, validate=True)
    except binascii.Error:
        raise CommandError(f"--page-key {args.page_key!r} is not base64") from None
    if key and args.offset:
        raise CommandError("give either --page-key or --offset, not both")
    try:
        return PageRequest(key, args.offset, args.limit, args.count_total, args.reverse)
    except AppError as error:
        raise CommandError(error.detail.removeprefix("pagination: ")) from None


def page_json(response: pagination_pb2.PageResponse) -> dict[str, Any]:
    """A typed answer's page as the CLI prints it (next_key in base64, null when none)."""
    return Page([], bytes(response.next_key), response.total).to_json()


def page_text(pagination: dict[str, Any] | None) -> str:
    """Lines for people under a page: how to ask for the next one, and the count if asked."""
    lines = []
    if pagination and pagination.get("next_key"):
        lines.append(f"next page: --page-key {pagination['next_key']}")
    if pagination and int(pagination.get("total") or 0):
        lines.append(f"total: {pagination['total']}")
    return "".join(f"\n{line}" for line in lines)


def fetch_account(rpc: CometRpc, address: str) -> auth_pb2.BaseAccount | None:
    """The account at address in the latest committed state, or None if it does not exist."""
    with node_errors():
        result = rpc.abci_query(
            ACCOUNT_QUERY_PATH,
            auth_query_pb2.QueryAccountRequest(address=address).SerializeToString(),
        )
    code = int(result.get("code") or 0)
    codespace = result.get("codespace") or ""
    if code == KEY_NOT_FOUND.code and codespace == KEY_NOT_FOUND.codespace:
        return None
    if code != 0:
        raise CommandError(
            f"cannot look up account {address} ({codespace}/{code}): {result.get('log')}"
        )
    response = auth_query_pb2.QueryAccountResponse()
    account = auth_pb2.BaseAccount()
    try:
        response.ParseFromString(base64.b64decode(result.get("value") or ""))
        account.ParseFromString(response.account.value)
    except (DecodeError, binascii.Error) as error:
        raise CommandError(
            f"account {address}: the node's answer is not valid protobuf ({error})"
        ) from None
    return account


def require_account(rpc: CometRpc, address: str) -> auth_pb2.BaseAccount:
    """The account at address; raises CommandError if it does not exist yet."""
    account = fetch_account(rpc, address)
    if account is None:
        raise CommandError(f"account {address} not found: it must receive funds first")
    return account


# --- keys and addresses ----------------------------------------------------------------


def open_keyring(args: argparse.Namespace) -> Keyring:
    """The keyring selected by --home and --keyring-backend."""
    try:
        return Keyring(Path(args.home), args.keyring_backend)
    except KeyringError as error:
        raise CommandError(str(error)) from None


def show_key(args: argparse.Namespace, name_or_address: str) -> KeyInfo:
    """A keyring key's public part; needs no passphrase."""
    try:
        return open_keyring(args).show(name_or_address)
    except KeyringError as error:
        raise CommandError(str(error)) from None


def resolve_address(args: argparse.Namespace, text: str, what: str = "address") -> str:
    """A bech32 `gpu1…` address as given, or the address of the keyring key named text."""
    try:
        decode_address(text)
    except AddressError as address_error:
        try:
            return open_keyring(args).show(text).address
        except (KeyringError, CommandError):
            raise CommandError(
                f"invalid {what} {text!r}: not a gpu1… address ({address_error}) "
                "and no keyring key has that name"
            ) from None
    return text.lower()


def resolve_validator_address(args: argparse.Namespace, text: str, what: str = "validator") -> str:
    """A `gpuvaloper1…` operator address as given; anything else is refused, naming the
    prefix. An account address or key name is never turned into an operator address
    silently: a slip there would send the stake or the query somewhere unmeant."""
    try:
        decode_validator_address(text)
    except AddressError as address_error:
        raise CommandError(
            f"invalid {what} address {text!r}: {_not_an_operator(args, text, address_error)}"
        ) from None
    return text.lower()


def _not_an_operator(args: argparse.Namespace, text: str, error: AddressError) -> str:
    """Why text is no operator address, and the operator address it may have meant."""
    expected = (
        f"a validator is named by its {VALIDATOR_PREFIX}1… operator address "
        "(`gpuchain query staking validators` lists them)"
    )
    try:
        account = decode_address(text)
    except AddressError:
        try:
            account = decode_address(open_keyring(args).show(text).address)
        except (KeyringError, CommandError, AddressError):
            return f"{error}; {expected}"
        kind = f"a key name, not an operator address; {expected}"
    else:
        kind = f"an account address ({ADDRESS_PREFIX}1…), not an operator address; {expected}"
    return f"{kind}; if this account runs one, it is {encode_validator_address(account)}"


def address_bytes(address: str) -> bytes:
    """The 20 bytes of a bech32 address that resolve_address returned."""
    try:
        return decode_address(address)
    except AddressError as error:
        raise CommandError(f"invalid address {address!r}: {error}") from None


# --- transactions as JSON ---------------------------------------------------------------


def tx_from_raw(raw: bytes) -> tx_pb2.Tx:
    """The structured Tx of TxRaw bytes; raises CommandError if they are not a tx."""
    try:
        envelope = tx_pb2.TxRaw.FromString(raw)
        return tx_pb2.Tx(
            body=tx_pb2.TxBody.FromString(envelope.body_bytes),
            auth_info=tx_pb2.AuthInfo.FromString(envelope.auth_info_bytes),
            signatures=list(envelope.signatures),
        )
    except DecodeError as error:
        raise CommandError(f"not a transaction: the bytes are not a TxRaw ({error})") from None


def raw_from_tx(tx: tx_pb2.Tx) -> bytes:
    """The TxRaw bytes to broadcast (and to hash) for a structured Tx."""
    raw: bytes = tx_pb2.TxRaw(
        body_bytes=tx.body.SerializeToString(),
        auth_info_bytes=tx.auth_info.SerializeToString(),
        signatures=list(tx.signatures),
    ).SerializeToString()
    return raw


def message_json(message: Message) -> dict[str, Any]:
    """A protobuf message as Cosmos prints it: proto field names, defaults, Any as "@type"."""
    try:
        data: dict[str, Any] = json_format.MessageToDict(
            message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    except (json_format.SerializeToJsonError, TypeError, KeyError) as error:
        raise CommandError(
            f"cannot render {message.DESCRIPTOR.full_name} as JSON: {error}"
        ) from None
    return data


def tx_json(tx: tx_pb2.Tx) -> dict[str, Any]:
    """A Tx as `--generate-only` and `tx sign` print it."""
    return message_json(tx)


def tx_from_json(text: str, source: str) -> tx_pb2.Tx:
    """Parse a Tx printed by tx_json (or by a Cosmos SDK client)."""
    try:
        tx = json_format.Parse(text, tx_pb2.Tx())
    except json_format.ParseError as error:
        raise CommandError(f"{source} is not a JSON transaction: {error}") from None
    if not tx.HasField("body") or not tx.body.messages:
        raise CommandError(f"{source} is not a JSON transaction: it has no body messages")
    return tx


def read_tx_file(path: str) -> tx_pb2.Tx:
    """The Tx in a JSON file, or on stdin for "-"."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read transaction file {path}: {error}") from None
    return tx_from_json(text, "stdin" if path == "-" else path)


def tx_hash_of(raw: bytes) -> str:
    """The hash CometBFT indexes a tx under (upper-case hex sha256)."""
    return hashlib.sha256(raw).hexdigest().upper()


def normalize_hash(text: str) -> str:
    """A tx hash as 64 upper-case hex characters, with or without a 0x prefix."""
    cleaned = text.strip().removeprefix("0x").removeprefix("0X").upper()
    if len(cleaned) != 64 or any(c not in "0123456789ABCDEF" for c in cleaned):
        raise CommandError(f"invalid tx hash {text!r}: expected 64 hex characters")
    return cleaned


def parse_coins_argument(text: str, what: str) -> Coins:
    """Coins from a CLI argument like "1000ugpc,5uatom"; CommandError naming what is wrong."""
    try:
        return Coins.parse(text)
    except AppError as error:
        raise CommandError(f"invalid {what} {text!r}: {error.detail or error.log}") from None


# --- results ----------------------------------------------------------------------------


def tx_response(result: dict[str, Any], *, with_tx: bool = False) -> dict[str, Any]:
    """A CometBFT `tx`/`tx_search` item as Cosmos SDK's TxResponse JSON."""
    tx_result = result.get("tx_result") or {}
    response: dict[str, Any] = {
        "height": str(result.get("height", "0")),
        "txhash": str(result.get("hash", "")).upper(),
        "codespace": tx_result.get("codespace") or "",
        "code": int(tx_result.get("code") or 0),
        "data": tx_result.get("data") or "",
        "raw_log": tx_result.get("log") or "",
        "info": tx_result.get("info") or "",
        "gas_wanted": str(tx_result.get("gas_wanted") or "0"),
        "gas_used": str(tx_result.get("gas_used") or "0"),
        "events": tx_result.get("events") or [],
    }
    if with_tx:
        # A block may hold bytes that are no tx (the app rejected them); show the rest anyway.
        try:
            response["tx"] = tx_json(tx_from_raw(base64.b64decode(result.get("tx") or "")))
        except (binascii.Error, CommandError):
            response["tx"] = None
    return response


def check_tx_response(result: dict[str, Any], tx_hash: str) -> dict[str, Any]:
    """A broadcast_tx_sync answer (the CheckTx result) as Cosmos SDK's TxResponse JSON."""
    return {
        "height": "0",
        "txhash": str(result.get("hash") or tx_hash).upper(),
        "codespace": result.get("codespace") or "",
        "code": int(result.get("code") or 0),
        "data": result.get("data") or "",
        "raw_log": result.get("log") or "",
        "info": "",
        "gas_wanted": "0",
        "gas_used": "0",
        "events": [],
    }


def failure_text(response: dict[str, Any]) -> str:
    """Why a tx failed, as `codespace/code: log`."""
    return f"{response['codespace'] or 'sdk'}/{response['code']}: {response['raw_log']}"


def tx_result_lines(response: dict[str, Any]) -> list[str]:
    """The first lines of a TxResponse for people: hash, height, code (and codespace)."""
    lines = [
        f"txhash: {response['txhash']}",
        f"height: {response['height']}",
        f"code: {response['code']}",
    ]
    if response["code"] != 0:
        lines.append(f"codespace: {response['codespace']}")
    return lines


def tx_response_text(response: dict[str, Any]) -> str:
    """A TxResponse for people."""
    lines = tx_result_lines(response)
    if response["code"] != 0:
        lines.append(f"raw_log: {response['raw_log']}")
    if response["height"] != "0":
        lines.append(f"gas_used: {response['gas_used']}")
        lines.append(f"gas_wanted: {response['gas_wanted']}")
    return "\n".join(lines)


def dumps(data: Any) -> str:
    """Indented JSON for people."""
    return json.dumps(data, indent=2, sort_keys=True)
