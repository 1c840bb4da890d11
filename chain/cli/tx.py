"""`gpuchain tx`: build, sign and broadcast transactions, online or fully offline.

As in the Cosmos SDK: `tx bank send FROM TO AMOUNT` signs with the FROM key and broadcasts;
with `--generate-only` it prints the unsigned tx as JSON instead (only FROM's public key
is needed, and with `--offline --sequence S` no node either). `tx sign FILE --from KEY`
signs such a file (`--offline --account-number N --sequence S --chain-id ID` without a
node), `tx broadcast FILE` sends a signed one, and `tx encode` / `tx decode` convert
between the JSON and the base64 of the wire bytes.

`--gas auto` simulates the tx on the node first (cosmos.tx.v1beta1.Service/Simulate) and
signs it with the gas used times `--gas-adjustment` (1.3): a tx that would fail stops there,
before it costs a fee. `tx simulate FILE` prints the estimate of a JSON tx.

Broadcast modes: `sync` returns the CheckTx result; `commit` (the default) also waits
until the tx is in a block and reports its result. The exit code is non-zero whenever
CheckTx or the block rejected the tx.

Each module adds its own `tx <module> …` commands (x/<module>/cli.py, built on
chain/cli/api.py) and they go through the same `deliver`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import sys
from collections.abc import Sequence
from typing import Any

from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message

from chain.cli.client import (
    check_tx_response,
    dumps,
    failure_text,
    node_chain_id,
    node_errors,
    open_keyring,
    parse_coins_argument,
    raw_from_tx,
    read_tx_file,
    require_account,
    rpc_client,
    show_key,
    tx_from_raw,
    tx_hash_of,
    tx_json,
    tx_response,
    tx_response_text,
    wait_for_tx,
)
from chain.cli.output import CommandError, emit
from chain.coins import DEC_ONE, parse_dec
from chain.crypto import AddressError, PrivateKey, PublicKey, decode_address, public_key_of_type
from chain.errors import INVALID_REQUEST, AppError
from chain.keyring import KeyInfo, KeyringError
from chain.pb.cosmos.crypto.secp256k1 import keys_pb2
from chain.pb.cosmos.tx.signing.v1beta1 import signing_pb2
from chain.pb.cosmos.tx.v1beta1 import service_pb2, tx_pb2
from chain.rpc import CometRpc, RpcError
from chain.tx import MAX_GAS_LIMIT, SIMULATE_PATH, build_unsigned, sign_tx

DEFAULT_GAS = 200_000
GAS_AUTO = "auto"
MAX_UINT64 = 2**64 - 1
DEFAULT_GAS_ADJUSTMENT = 13 * DEC_ONE // 10  # 1.3, as Cosmos CLIs
BROADCAST_MODES = ("sync", "commit")
INCLUSION_TIMEOUT_SECONDS = 30.0


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add the `tx` command group; returns it for the modules' commands."""
    tx_parser = commands.add_parser(
        "tx",
        parents=[common],
        help="sign and broadcast transactions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tx_commands = tx_parser.add_subparsers(dest="tx_command", required=True, metavar="CMD")

    sign = tx_commands.add_parser(
        "sign",
        parents=[common],
        help="sign a JSON transaction made with --generate-only",
        description="Sign the JSON tx in FILE ('-' for stdin) with the keyring key --from and "
        "print the signed tx. The account number and sequence come from the node unless "
        "--offline gives them (with --chain-id).",
    )
    sign.add_argument("file", metavar="FILE")
    sign.add_argument("--from", dest="from_key", required=True, metavar="KEY")
    _add_account_flags(sign)
    sign.set_defaults(func=sign_file)

    broadcast = tx_commands.add_parser(
        "broadcast",
        parents=[common],
        help="broadcast a signed JSON transaction",
        description="Broadcast the signed JSON tx in FILE ('-' for stdin).",
    )
    broadcast.add_argument("file", metavar="FILE")
    _add_broadcast_mode_flag(broadcast)
    broadcast.set_defaults(func=broadcast_file)

    simulate_parser = tx_commands.add_parser(
        "simulate",
        parents=[common],
        help="estimate a JSON transaction's gas on the node, sending nothing",
        description="Run the JSON tx in FILE ('-' for stdin), signed or not, on a copy of "
        "the node's latest state and print the gas it used and its events. A tx that would "
        "fail prints the node's reason and exits 1.",
    )
    simulate_parser.add_argument("file", metavar="FILE")
    simulate_parser.set_defaults(func=simulate_file)

    encode = tx_commands.add_parser(
        "encode",
        parents=[common],
        help="print the base64 wire bytes of a JSON transaction",
    )
    encode.add_argument("file", metavar="FILE")
    encode.set_defaults(func=encode_file)

    decode = tx_commands.add_parser(
        "decode", parents=[common], help="print a base64 transaction as JSON"
    )
    decode.add_argument("encoded", metavar="BASE64")
    decode.set_defaults(func=decode_base64)

    return tx_commands


def _add_account_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use no node: give --account-number and --sequence (and --chain-id to sign)",
    )
    parser.add_argument("--account-number", type=_non_negative, metavar="N")
    parser.add_argument("--sequence", type=_non_negative, metavar="S")


def _add_broadcast_mode_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--broadcast-mode",
        "-b",
        choices=BROADCAST_MODES,
        default="commit",
        help="sync: return after CheckTx; commit: wait for the block (default)",
    )


def add_build_flags(parser: argparse.ArgumentParser, default_gas: int = DEFAULT_GAS) -> None:
    """The flags every tx-building command shares: fee, gas, memo, confirmation, modes."""
    parser.add_argument("--fees", default="", help="fee coins, e.g. 200ugpc")
    parser.add_argument(
        "--gas",
        type=_gas,
        default=default_gas,
        help=f"gas limit, or `auto` to simulate on the node first (default {default_gas})",
    )
    parser.add_argument(
        "--gas-adjustment",
        type=_adjustment,
        default=DEFAULT_GAS_ADJUSTMENT,
        metavar="X",
        help="with --gas auto, multiply the simulated gas by X (default 1.3)",
    )
    parser.add_argument("--memo", default="")
    parser.add_argument("--timeout-height", type=_non_negative, default=0, metavar="H")
    parser.add_argument("-y", "--yes", action="store_true", help="skip the confirmation")
    parser.add_argument(
        "--generate-only", action="store_true", help="print the unsigned tx as JSON and stop"
    )
    _add_account_flags(parser)
    _add_broadcast_mode_flag(parser)


def _non_negative(text: str, maximum: int = MAX_UINT64) -> int:
    """An integer flag that fits the wire field it fills (uint64 unless said otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    if value > maximum:
        raise argparse.ArgumentTypeError(f"{value} is above the largest allowed, {maximum}")
    return value


def _gas(text: str) -> int | str:
    if text == GAS_AUTO:
        return GAS_AUTO
    value = _non_negative(text, MAX_GAS_LIMIT)
    if value == 0:
        raise argparse.ArgumentTypeError("must be positive, or auto")
    return value


def _adjustment(text: str) -> int:
    """An 18-decimal integer: gas is estimated with integer math, like everything else."""
    try:
        value = parse_dec(text, "--gas-adjustment", INVALID_REQUEST, example="1.3")
    except AppError as error:
        raise argparse.ArgumentTypeError(error.detail) from None
    if value < DEC_ONE:
        raise argparse.ArgumentTypeError(f"{text} is below 1: the tx would run out of gas")
    return value


def estimate_gas(args: argparse.Namespace, rpc: CometRpc, unsigned: tx_pb2.TxRaw) -> int:
    """Simulate unsigned on the node and scale the gas it used by --gas-adjustment.

    Raises CommandError with the node's reason when the tx would fail: nothing is sent,
    so a mistake costs no fee."""
    used = simulate(rpc, unsigned).gas_info.gas_used
    gas = -(-used * args.gas_adjustment // DEC_ONE)  # rounded up
    print(f"estimated gas: {gas}", file=sys.stderr)
    return int(gas)


def simulate(rpc: CometRpc, unsigned: tx_pb2.TxRaw) -> service_pb2.SimulateResponse:
    """The node's simulation of a tx (its signature is neither needed nor checked)."""
    envelope = tx_pb2.TxRaw(
        body_bytes=unsigned.body_bytes,
        auth_info_bytes=unsigned.auth_info_bytes,
        signatures=unsigned.signatures or [b""],
    )
    request = service_pb2.SimulateRequest(tx_bytes=envelope.SerializeToString())
    try:
        return rpc.query_message(SIMULATE_PATH, request, service_pb2.SimulateResponse())
    except RpcError as error:
        raise CommandError(f"simulation failed, nothing was sent: {error}") from None


# --- bank -------------------------------------------------------------------------------


def sender_key(args: argparse.Namespace) -> KeyInfo:
    """FROM's keyring key; with --generate-only, an address whose public key is on chain will do.

    That lets a machine without the key (or any keyring) prepare a tx for a cold signer.
    """
    try:
        return open_keyring(args).show(args.from_key)
    except (KeyringError, CommandError) as error:
        if not args.generate_only or args.offline:
            raise CommandError(str(error)) from None
        problem = str(error)
    try:
        decode_address(args.from_key)
    except AddressError:
        raise CommandError(problem) from None
    account = require_account(rpc_client(args), args.from_key.lower())
    if not account.HasField("pub_key"):
        raise CommandError(
            f"{args.from_key} is not in the keyring and its account has no public key "
            "on chain yet (it has never signed): generate the tx where the key is"
        )
    public_key = _unpacked_key(account.pub_key, f"the account of {args.from_key}")
    return KeyInfo(name=args.from_key, address=args.from_key.lower(), public_key=public_key)


# --- building, signing, broadcasting -------------------------------------------------


def deliver(args: argparse.Namespace, sender: KeyInfo, messages: Sequence[Message]) -> int:
    """Build a tx of messages from sender, then print it unsigned or sign and broadcast it."""
    fee = parse_coins_argument(args.fees, "fees")
    if args.offline and not args.generate_only:
        raise CommandError(
            "--offline cannot broadcast: add --generate-only to print the unsigned tx, "
            "then `tx sign --offline` and `tx broadcast` it"
        )

    if args.offline and args.gas == GAS_AUTO:
        raise CommandError("--gas auto simulates on a node: give a gas limit with --offline")

    def unsigned(sequence: int, gas: int) -> tx_pb2.TxRaw:
        raw: tx_pb2.TxRaw = build_unsigned(
            sender.public_key,
            messages,
            sequence=sequence,
            fee=fee,
            gas_limit=gas,
            memo=args.memo,
            timeout_height=args.timeout_height,
        )
        return raw

    def with_gas(rpc: CometRpc, sequence: int) -> tx_pb2.TxRaw:
        if args.gas != GAS_AUTO:
            return unsigned(sequence, args.gas)
        # The placeholder limit is as long on the wire as any real one, so the estimate
        # never falls short by the bytes of the final gas limit.
        return unsigned(sequence, estimate_gas(args, rpc, unsigned(sequence, MAX_GAS_LIMIT)))

    if args.generate_only:
        if args.offline:
            if args.sequence is None:
                raise CommandError("--offline --generate-only needs --sequence")
            envelope = unsigned(args.sequence, args.gas)
        else:
            rpc = rpc_client(args)
            account = require_account(rpc, sender.address)
            envelope = with_gas(rpc, account.sequence if args.sequence is None else args.sequence)
        emit(args, tx_json(tx_from_raw(envelope.SerializeToString())))
        return 0

    rpc = rpc_client(args)
    chain_id = _chain_id(args, rpc)
    account = require_account(rpc, sender.address)
    account_number = account.account_number if args.account_number is None else args.account_number
    sequence = account.sequence if args.sequence is None else args.sequence
    envelope = with_gas(rpc, sequence)
    if not args.yes:
        _confirm(tx_json(tx_from_raw(envelope.SerializeToString())))
    raw = sign_tx(envelope, _private_key(args, sender.name), chain_id, account_number)
    return broadcast(args, rpc, raw)


def _chain_id(args: argparse.Namespace, rpc: CometRpc) -> str:
    """--chain-id, checked against the node's, or the node's when none is given."""
    network = node_chain_id(rpc)
    if args.chain_id and args.chain_id != network:
        raise CommandError(
            f"--chain-id {args.chain_id!r} does not match the node's chain {network!r}"
        )
    return network


def _confirm(tx: dict[str, Any]) -> None:
    if not sys.stdin.isatty():
        raise CommandError(
            "refusing to sign and broadcast without confirmation: stdin is not a terminal, "
            "pass --yes"
        )
    print(dumps(tx), file=sys.stderr)
    print("confirm transaction before signing and broadcasting [y/N]: ", end="", file=sys.stderr)
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise CommandError("transaction not broadcast: not confirmed")


def _private_key(args: argparse.Namespace, name_or_address: str) -> PrivateKey:
    try:
        return open_keyring(args).private_key(name_or_address)
    except KeyringError as error:
        raise CommandError(str(error)) from None


def broadcast(args: argparse.Namespace, rpc: CometRpc, raw: bytes) -> int:
    """Broadcast signed tx bytes in --broadcast-mode and print the result.

    Returns 1 when CheckTx or the block rejected the tx (after printing why); raises
    CommandError when the node cannot be reached or the tx is not included in time.
    """
    tx_hash = tx_hash_of(raw)
    with node_errors():
        checked = check_tx_response(rpc.broadcast_tx_sync(raw), tx_hash)
    if checked["code"] != 0:
        return _report_failure(
            args, checked, f"transaction {tx_hash} rejected by CheckTx: {failure_text(checked)}"
        )
    if args.broadcast_mode == "sync":
        emit(args, checked, tx_response_text(checked))
        return 0
    found = wait_for_tx(rpc, tx_hash, INCLUSION_TIMEOUT_SECONDS)
    if found is None:
        raise CommandError(
            f"transaction {tx_hash} passed CheckTx but is not in a block after "
            f"{INCLUSION_TIMEOUT_SECONDS:.0f}s; look for it later with "
            f"`gpuchain query tx {tx_hash}`"
        )
    included = tx_response(found)
    if included["code"] != 0:
        return _report_failure(
            args,
            included,
            f"transaction {tx_hash} failed in block {included['height']}: {failure_text(included)}",
        )
    emit(args, included, tx_response_text(included))
    return 0


def _report_failure(args: argparse.Namespace, response: dict[str, Any], message: str) -> int:
    emit(args, response, tx_response_text(response))
    print(f"Error: {message}", file=sys.stderr)
    return 1


# --- offline workflow -------------------------------------------------------------------


def sign_file(args: argparse.Namespace) -> int:
    """`tx sign FILE --from KEY [--offline --account-number N --sequence S] [--chain-id]`."""
    tx = read_tx_file(args.file)
    key_info = show_key(args, args.from_key)
    if len(tx.auth_info.signer_infos) != 1:
        raise CommandError(
            f"{args.file} has {len(tx.auth_info.signer_infos)} signer infos; "
            "gpuchain transactions have exactly one signer"
        )
    signer = tx.auth_info.signer_infos[0]
    _check_signer_key(signer, key_info, args.file)

    if args.offline:
        missing = [
            flag
            for flag, value in (
                ("--chain-id", args.chain_id),
                ("--account-number", args.account_number),
                ("--sequence", args.sequence),
            )
            if value is None or value == ""
        ]
        if missing:
            raise CommandError(f"--offline signing needs {', '.join(missing)}")
        chain_id, account_number, sequence = args.chain_id, args.account_number, args.sequence
    else:
        rpc = rpc_client(args)
        chain_id = _chain_id(args, rpc)
        account = require_account(rpc, key_info.address)
        account_number = (
            account.account_number if args.account_number is None else args.account_number
        )
        sequence = account.sequence if args.sequence is None else args.sequence

    signer.sequence = sequence
    signer.mode_info.single.mode = signing_pb2.SIGN_MODE_DIRECT
    envelope = tx_pb2.TxRaw(
        body_bytes=tx.body.SerializeToString(), auth_info_bytes=tx.auth_info.SerializeToString()
    )
    raw = sign_tx(envelope, _private_key(args, key_info.name), chain_id, account_number)
    emit(args, tx_json(tx_from_raw(raw)))
    return 0


def _check_signer_key(signer: tx_pb2.SignerInfo, key_info: KeyInfo, source: str) -> None:
    """Fill in the signer's public key, or refuse a tx made for another key."""
    if not signer.HasField("public_key"):
        signer.public_key.type_url = key_info.public_key.type_url
        signer.public_key.value = keys_pb2.PubKey(key=key_info.public_key.key).SerializeToString()
        return
    if _unpacked_key(signer.public_key, source) != key_info.public_key:
        raise CommandError(
            f"{source} is to be signed by another key than {key_info.name!r} "
            f"({key_info.address}): its signer info holds a different public key"
        )


def _unpacked_key(packed: any_pb2.Any, source: str) -> PublicKey:
    """The public key in an Any (both key types wrap `bytes key = 1`); CommandError naming
    source when it is not one gpuchain accepts."""
    try:
        return public_key_of_type(packed.type_url, keys_pb2.PubKey.FromString(packed.value).key)
    except DecodeError:
        raise CommandError(f"{source}: the public key is not valid protobuf") from None
    except ValueError as error:
        raise CommandError(f"{source}: {error}") from None


def broadcast_file(args: argparse.Namespace) -> int:
    """`tx broadcast FILE [--broadcast-mode sync|commit]`."""
    tx = read_tx_file(args.file)
    if not tx.signatures:
        raise CommandError(
            f"{args.file} is not signed: sign it first with "
            f"`gpuchain tx sign {args.file} --from KEY`"
        )
    return broadcast(args, rpc_client(args), raw_from_tx(tx))


def simulate_file(args: argparse.Namespace) -> int:
    """`tx simulate FILE`: the node's gas estimate and result, as `-o json` or text."""
    envelope = tx_pb2.TxRaw.FromString(raw_from_tx(read_tx_file(args.file)))
    answer = simulate(rpc_client(args), envelope)
    result = {
        "gas_info": {
            "gas_wanted": str(answer.gas_info.gas_wanted),
            "gas_used": str(answer.gas_info.gas_used),
        },
        "events": [
            {"type": e.type, "attributes": [{"key": a.key, "value": a.value} for a in e.attributes]}
            for e in answer.result.events
        ],
    }
    emit(args, result, f"gas used: {answer.gas_info.gas_used}")
    return 0


def encode_file(args: argparse.Namespace) -> int:
    """`tx encode FILE`: the base64 of the TxRaw bytes."""
    encoded = base64.b64encode(raw_from_tx(read_tx_file(args.file))).decode("ascii")
    emit(args, {"tx": encoded}, encoded)
    return 0


def decode_base64(args: argparse.Namespace) -> int:
    """`tx decode BASE64`: the tx as JSON."""
    try:
        raw = base64.b64decode(args.encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CommandError("not base64: `tx decode` takes the base64 of a tx's bytes") from None
    emit(args, tx_json(tx_from_raw(raw)))
    return 0
