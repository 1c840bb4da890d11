"""`gpuchain query`: transactions and blocks, in Cosmos SDK shapes, and state proofs.

`--prove` (on `bank balances --denom` and `account`) reads the exact state key with a
Merkle proof and checks it against the app hash in the header of the block after the
query height, so the answer does not rest on the node's word alone: a zero balance is
proven as an absent key. The header itself comes from the same node; checking its commit
signatures (a light client) is out of scope here.

Each module adds its own `query <module> …` commands: bank balances and supply, auth
accounts (also `query account`), staking, slashing, distribution and the marketplace.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import math
import re
from dataclasses import dataclass
from typing import Any

from chain.app import PROOF_OP_TYPE, STORE_QUERY_PATH, verify_store_proof
from chain.cli.client import (
    fetch_tx,
    node_errors,
    normalize_hash,
    rpc_client,
    tx_hash_of,
    tx_response,
    tx_result_lines,
)
from chain.cli.output import CommandError, emit
from chain.rpc import CometRpc

HEADER_WAIT_SECONDS = 30.0
MAX_PAGE_SIZE = 100  # CometBFT caps tx_search's per_page here
_EVENT_KEY = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)+$")


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add the `query` command group (alias `q`); returns it for the modules' commands."""
    query_parser = commands.add_parser(
        "query",
        aliases=["q"],
        parents=[common],
        help="query chain state",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    query_commands = query_parser.add_subparsers(dest="query_command", required=True, metavar="CMD")

    tx = query_commands.add_parser("tx", parents=[common], help="a transaction by hash")
    tx.add_argument("hash", metavar="HASH", help="the tx hash (64 hex characters)")
    tx.set_defaults(func=query_tx)

    txs = query_commands.add_parser(
        "txs",
        parents=[common],
        help="search transactions by events",
        description="Find transactions whose events match every --events 'type.attribute=value' "
        "(e.g. transfer.recipient=gpu1…; several are joined with AND, as are 'a=b&c=d'). "
        "Only attributes the node indexes match: its app.toml index-events (empty: all).",
    )
    txs.add_argument(
        "--events",
        action="append",
        required=True,
        metavar="EVENT=VALUE",
        help="an event to match, e.g. transfer.recipient=gpu1… (repeat for more)",
    )
    txs.add_argument("--page", type=_positive, default=1, help="the page to show (default 1)")
    txs.add_argument(
        "--limit",
        type=_positive,
        default=MAX_PAGE_SIZE,
        help=f"transactions per page (default and most {MAX_PAGE_SIZE})",
    )
    txs.set_defaults(func=query_txs)

    block = query_commands.add_parser("block", parents=[common], help="a block (latest by default)")
    block.add_argument(
        "height", metavar="HEIGHT", nargs="?", type=_positive, help="default: the latest"
    )
    block.set_defaults(func=query_block)

    return query_commands


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


# --- proofs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreRead:
    """One state key as `/store/key` answered it: the value (None if absent) and its proof."""

    key: bytes
    value: bytes | None
    height: int
    proof: bytes


@dataclass(frozen=True)
class ProvenRead:
    """A StoreRead whose proof checked out against the app hash of block height + 1."""

    read: StoreRead
    app_hash: bytes

    @property
    def verified_height(self) -> int:
        return self.read.height + 1

    @property
    def message(self) -> str:
        return (
            f"proof verified against app hash {self.app_hash.hex().upper()} "
            f"at height {self.verified_height}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": True,
            "key": self.read.key.hex(),
            "height": str(self.read.height),
            "app_hash": self.app_hash.hex().upper(),
            "app_hash_height": str(self.verified_height),
        }


def read_store_key(rpc: CometRpc, key: bytes) -> StoreRead:
    """Read one state key with its proof; raises CommandError if the answer is malformed."""
    with node_errors():
        result = rpc.abci_query(STORE_QUERY_PATH, key, prove=True)
    code = int(result.get("code") or 0)
    if code != 0:
        raise CommandError(
            f"store query failed ({result.get('codespace') or 'sdk'}/{code}): {result.get('log')}"
        )
    try:
        value = base64.b64decode(result.get("value") or "")
        ops = (result.get("proofOps") or {}).get("ops") or []
        proofs = [
            base64.b64decode(op.get("data") or "")
            for op in ops
            if op.get("type") == PROOF_OP_TYPE and base64.b64decode(op.get("key") or "") == key
        ]
    except binascii.Error as error:
        raise CommandError(f"store query: the node's answer is not base64 ({error})") from None
    if len(proofs) != 1:
        raise CommandError(
            f"store query: the node returned {len(proofs)} {PROOF_OP_TYPE} proofs for the key, "
            "expected 1"
        )
    return StoreRead(key=key, value=value or None, height=int(result["height"]), proof=proofs[0])


def header_app_hash(rpc: CometRpc, height: int) -> bytes:
    """The app hash in block height's header, waiting for the block if it is not made yet."""
    with node_errors():
        rpc.wait_for_height(height, timeout=HEADER_WAIT_SECONDS)
        header = rpc.block(height)["block"]["header"]
    try:
        return bytes.fromhex(header["app_hash"])
    except (KeyError, ValueError):
        raise CommandError(f"block {height}'s header has no valid app_hash") from None


def verify_read(read: StoreRead, app_hash: bytes) -> ProvenRead:
    """Check a StoreRead against an app hash; raises CommandError if the proof does not hold."""
    if not verify_store_proof(app_hash, read.key, read.value, read.proof):
        claim = "absence of" if read.value is None else "value of"
        raise CommandError(
            f"proof verification failed: the proof of the {claim} key {read.key.hex()} at height "
            f"{read.height} does not match app hash {app_hash.hex().upper()} of block "
            f"{read.height + 1}"
        )
    return ProvenRead(read=read, app_hash=app_hash)


def prove_store_key(rpc: CometRpc, key: bytes) -> ProvenRead:
    """Read a state key and verify it against the next block's header."""
    read = read_store_key(rpc, key)
    return verify_read(read, header_app_hash(rpc, read.height + 1))


# --- transactions and blocks -------------------------------------------------------------


def query_tx(args: argparse.Namespace) -> int:
    """`query tx HASH`."""
    tx_hash = normalize_hash(args.hash)
    result = fetch_tx(rpc_client(args), tx_hash)
    if result is None:
        raise CommandError(f"tx {tx_hash} not found")
    response = tx_response(result, with_tx=True)
    emit(args, response, _tx_text(response))
    return 0


def _tx_text(response: dict[str, Any]) -> str:
    lines = tx_result_lines(response)
    lines.append(f"raw_log: {response['raw_log']!r}")
    lines.append(f"gas: {response['gas_used']} used of {response['gas_wanted']}")
    for message in (response.get("tx") or {}).get("body", {}).get("messages", []):
        lines.append(f"message: {message.get('@type')}")
    for event in response["events"]:
        attributes = ", ".join(
            f"{attribute.get('key')}={attribute.get('value')}"
            for attribute in event.get("attributes") or []
        )
        lines.append(f"event {event.get('type')}: {attributes}")
    return "\n".join(lines)


def events_query(events: list[str]) -> str:
    """CometBFT's tx_search query for `--events` values: `key='value'` joined with AND."""
    conditions = []
    for argument in events:
        for part in argument.split("&"):
            key, separator, value = part.strip().partition("=")
            key, value = key.strip(), value.strip()
            if not separator or not key or not value:
                raise CommandError(f"invalid event {part!r}: expected type.attribute=value")
            if not _EVENT_KEY.match(key):
                raise CommandError(
                    f"invalid event key {key!r}: expected type.attribute, e.g. transfer.recipient"
                )
            if "'" in value:
                raise CommandError(f"invalid event value {value!r}: it may not contain a quote")
            if key == "tx.height" and value.isdigit():
                conditions.append(f"{key}={value}")
            else:
                conditions.append(f"{key}='{value}'")
    return " AND ".join(conditions)


def query_txs(args: argparse.Namespace) -> int:
    """`query txs --events type.attribute=value [--events …] [--page N] [--limit N]`."""
    query = events_query(args.events)
    limit = min(args.limit, MAX_PAGE_SIZE)
    with node_errors():
        result = rpc_client(args).tx_search(query, page=args.page, per_page=limit)
    found = [tx_response(item, with_tx=True) for item in result.get("txs") or []]
    total = int(result.get("total_count") or 0)
    data = {
        "total_count": str(total),
        "count": str(len(found)),
        "page_number": str(args.page),
        "page_total": str(math.ceil(total / limit)),
        "limit": str(limit),
        "txs": found,
    }
    text = "\n".join(
        [f"{total} transactions match {query} (page {args.page}, {len(found)} shown)"]
        + [
            f"- {tx['txhash']} height {tx['height']} code {tx['code']}"
            + (f" ({tx['codespace']}: {tx['raw_log']})" if tx["code"] else "")
            for tx in found
        ]
    )
    emit(args, data, text)
    return 0


def query_block(args: argparse.Namespace) -> int:
    """`query block [HEIGHT]` (the latest without one)."""
    with node_errors():
        result = rpc_client(args).block(args.height)
    header = result["block"]["header"]
    txs = result["block"]["data"].get("txs") or []
    hashes = []
    for encoded in txs:
        try:
            hashes.append(tx_hash_of(base64.b64decode(encoded)))
        except binascii.Error:
            hashes.append("(undecodable)")
    lines = [
        f"height: {header['height']}",
        f"hash: {result['block_id']['hash']}",
        f"time: {header['time']}",
        f"chain_id: {header['chain_id']}",
        f"proposer: {header['proposer_address']}",
        f"app_hash: {header['app_hash']}",
        f"txs: {len(hashes)}",
        *(f"- {tx_hash}" for tx_hash in hashes),
    ]
    emit(args, result, "\n".join(lines))
    return 0
