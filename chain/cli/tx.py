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

Each module adds its own `tx <module> …` commands, and they all build, simulate, sign
and broadcast the same way.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

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
from chain.client_config import (
    BROADCAST_MODES,
    GAS_AUTO,
    parse_gas,
    parse_gas_adjustment,
    parse_gas_prices,
    parse_uint,
)
from chain.coins import DEC_ONE, Coin, Coins, DecPrice
from chain.crypto import AddressError, PrivateKey, PublicKey, decode_address, public_key_of_type
from chain.keyring import KeyInfo, KeyringError
from chain.pagination import MAX_LIMIT
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query_pb2
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.cosmos.crypto.secp256k1 import keys_pb2
from chain.pb.cosmos.tx.signing.v1beta1 import signing_pb2
from chain.pb.cosmos.tx.v1beta1 import service_pb2, tx_pb2
from chain.rpc import CometRpc, RpcError
from chain.tx import MAX_GAS_LIMIT, SIMULATE_PATH, build_unsigned, sign_tx

DEFAULT_GAS = 200_000
DEFAULT_GAS_ADJUSTMENT = 13 * DEC_ONE // 10  # 1.3, as Cosmos CLIs
TOTAL_SUPPLY_PATH = "/cosmos.bank.v1beta1.Query/TotalSupply"
COIN_TYPE = "cosmos.base.v1beta1.Coin"
T = TypeVar("T")
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
    sign.add_argument("file", metavar="FILE", help="the JSON tx, or - for stdin")
    sign.add_argument(
        "--from", dest="from_key", required=True, metavar="KEY", help="keyring key that signs"
    )
    _add_account_flags(sign)
    sign.set_defaults(func=sign_file)

    broadcast = tx_commands.add_parser(
        "broadcast",
        parents=[common],
        help="broadcast a signed JSON transaction",
        description="Broadcast the signed JSON tx in FILE ('-' for stdin).",
    )
    broadcast.add_argument("file", metavar="FILE", help="the signed JSON tx, or - for stdin")
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
    simulate_parser.add_argument("file", metavar="FILE", help="the JSON tx, or - for stdin")
    simulate_parser.set_defaults(func=simulate_file)

    encode = tx_commands.add_parser(
        "encode",
        parents=[common],
        help="print the base64 wire bytes of a JSON transaction",
    )
    encode.add_argument("file", metavar="FILE", help="the JSON tx, or - for stdin")
    encode.set_defaults(func=encode_file)

    decode = tx_commands.add_parser(
        "decode", parents=[common], help="print a base64 transaction as JSON"
    )
    decode.add_argument("encoded", metavar="BASE64", help="the base64 of a tx's wire bytes")
    decode.set_defaults(func=decode_base64)

    return tx_commands


def _add_account_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use no node: give --account-number and --sequence (and --chain-id to sign)",
    )
    parser.add_argument(
        "--account-number",
        type=_non_negative,
        metavar="N",
        help="sign with this account number instead of the node's",
    )
    parser.add_argument(
        "--sequence",
        type=_non_negative,
        metavar="S",
        help="sign with this sequence instead of the node's (e.g. behind a pending tx)",
    )


def _add_broadcast_mode_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--broadcast-mode",
        "-b",
        choices=BROADCAST_MODES,
        default=None,
        help="sync: return after CheckTx; async: return at once; block: also wait until the "
        "tx is in a block and report its result (default; commit is the same)",
    )


def add_build_flags(parser: argparse.ArgumentParser, default_gas: int = DEFAULT_GAS) -> None:
    """The flags every tx-building command shares: fee, gas, memo, confirmation, modes.

    Gas, its adjustment and price and the broadcast mode default to client.toml's (main
    fills them); with neither a flag nor the file, a tx is simulated first (`--gas auto`),
    and `--generate-only` uses default_gas, as nothing is spent and it may be signed later."""
    parser.add_argument("--fees", default="", help="fee coins, e.g. 200ugpc (or give --gas-prices)")
    parser.add_argument(
        "--gas-prices",
        type=_gas_prices,
        default=None,
        metavar="PRICE",
        help="pay gas times PRICE (e.g. 0.001ugpc) as the fee, instead of --fees",
    )
    parser.add_argument(
        "--gas",
        type=_gas,
        default=None,
        help="gas limit, which skips the simulation; or auto: simulate on the node and use "
        f"the gas it took times --gas-adjustment (default auto; --generate-only {default_gas})",
    )
    parser.add_argument(
        "--gas-adjustment",
        type=_adjustment,
        default=None,
        metavar="X",
        help="with --gas auto, multiply the simulated gas by X (default 1.3)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="simulate on the node, print the gas and the result, and send nothing",
    )
    parser.add_argument("--memo", default="", help="a note stored with the tx")
    parser.add_argument(
        "--timeout-height",
        type=_non_negative,
        default=0,
        metavar="H",
        help="the tx is invalid in blocks above H (default 0: no limit)",
    )
    parser.add_argument("-y", "--yes", action="store_true", help="skip the confirmation")
    parser.add_argument(
        "--generate-only", action="store_true", help="print the unsigned tx as JSON and stop"
    )
    parser.set_defaults(default_gas=default_gas)
    _add_account_flags(parser)
    _add_broadcast_mode_flag(parser)


def _argument_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """parse as an argparse type: its ValueError becomes the one-line error argparse shows."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = parse.__name__
    return convert


def uint_type(maximum: int) -> Callable[[str], int]:
    """An argparse type for a flag that fills an unsigned wire field of that maximum: a
    value past it is refused by argparse in one line, not by protobuf while building."""

    def uint(text: str) -> int:
        return parse_uint(text, maximum)

    return _argument_type(uint)


_non_negative = _argument_type(parse_uint)
_gas = _argument_type(parse_gas)
_adjustment = _argument_type(parse_gas_adjustment)
_gas_prices = _argument_type(parse_gas_prices)


def estimate_gas(args: argparse.Namespace, rpc: CometRpc, unsigned: tx_pb2.TxRaw) -> int:
    """Simulate unsigned on the node and scale the gas it used by --gas-adjustment.

    Raises CommandError with the node's reason when the tx would fail: nothing is sent,
    so a mistake costs no fee."""
    return adjusted_gas(args, simulate(rpc, unsigned).gas_info.gas_used)


def adjusted_gas(args: argparse.Namespace, used: int) -> int:
    """The simulated gas times --gas-adjustment, rounded up."""
    adjustment = getattr(args, "gas_adjustment", None) or DEFAULT_GAS_ADJUSTMENT
    return int(-(-used * adjustment // DEC_ONE))


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
        raise CommandError(
            f"simulation failed, nothing was sent: {error}{sequence_hint(str(error))}"
        ) from None


def simulation_json(answer: service_pb2.SimulateResponse) -> dict[str, Any]:
    """A simulation's gas and events as `tx simulate` and `--dry-run` print them."""
    return {
        "gas_info": {
            "gas_wanted": str(answer.gas_info.gas_wanted),
            "gas_used": str(answer.gas_info.gas_used),
        },
        "events": [
            {"type": e.type, "attributes": [{"key": a.key, "value": a.value} for a in e.attributes]}
            for e in answer.result.events
        ],
    }


def check_denoms(rpc: CometRpc, messages: Sequence[Message], fee: Coins) -> None:
    """Refuse coins of a denom the chain has none of, naming the chain's denoms: such a tx
    could only fail (or lock nothing), and `1000gpc` is an easy slip for `1000ugpc`."""
    wanted = {coin.denom for coin in fee.items}
    for message in messages:
        wanted |= coin_denoms(message)
    if not wanted:
        return
    request = bank_query_pb2.QueryTotalSupplyRequest(
        pagination=pagination_pb2.PageRequest(limit=MAX_LIMIT)
    )
    with node_errors():
        supply = rpc.query_message(
            TOTAL_SUPPLY_PATH, request, bank_query_pb2.QueryTotalSupplyResponse()
        )
    known = sorted(coin.denom for coin in supply.supply)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise CommandError(
            f"unknown denom {', '.join(map(repr, unknown))}: this chain's denoms are "
            f"{', '.join(known) or 'none yet'} (e.g. 1000000{known[0] if known else 'ugpc'}); "
            "nothing was sent"
        )


def coin_denoms(message: Message) -> set[str]:
    """The denoms of every Coin anywhere in message (amounts sent, staked, deposited)."""
    denoms: set[str] = set()
    for field, value in message.ListFields():
        if field.message_type is None or field.message_type.GetOptions().map_entry:
            continue
        items = list(value) if field.is_repeated else [value]
        for item in items:
            if field.message_type.full_name == COIN_TYPE:
                denoms.add(item.denom)
            else:
                denoms |= coin_denoms(item)
    return denoms


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
    """Build a tx of messages from sender, then print it unsigned, or simulate it and sign
    and broadcast it; `--dry-run` stops after the simulation."""
    # A Namespace built by hand (not by add_build_flags) gets the flags' defaults.
    gas_prices = getattr(args, "gas_prices", None)
    default_gas = getattr(args, "default_gas", DEFAULT_GAS)
    fixed_fee = parse_coins_argument(args.fees, "fees")
    if args.fees and gas_prices:
        raise CommandError("give either --fees or --gas-prices, not both")
    if args.offline and not args.generate_only:
        raise CommandError(
            "--offline cannot broadcast: add --generate-only to print the unsigned tx, "
            "then `tx sign --offline` and `tx broadcast` it"
        )
    gas_choice: int | str = args.gas or (default_gas if args.generate_only else GAS_AUTO)
    if args.offline and gas_choice == GAS_AUTO:
        raise CommandError("--gas auto simulates on a node: give a gas limit with --offline")

    def fee_for(gas: int) -> Coins:
        if not gas_prices:
            return fixed_fee
        price = DecPrice.parse(gas_prices)
        return Coins.of([Coin(price.denom, price.fee_for(gas))])

    def unsigned(sequence: int, gas: int, fee: Coins | None = None) -> tx_pb2.TxRaw:
        raw: tx_pb2.TxRaw = build_unsigned(
            sender.public_key,
            messages,
            sequence=sequence,
            fee=fee_for(gas) if fee is None else fee,
            gas_limit=gas,
            memo=args.memo,
            timeout_height=args.timeout_height,
        )
        return raw

    def with_gas(rpc: CometRpc, sequence: int) -> tx_pb2.TxRaw:
        if gas_choice != GAS_AUTO:
            return unsigned(sequence, int(gas_choice))
        # The placeholder limit is as long on the wire as any real one, so the estimate
        # never falls short by the bytes of the final gas limit; the placeholder fee is
        # what the command's usual gas would cost.
        probe = unsigned(sequence, MAX_GAS_LIMIT, fee_for(default_gas))
        gas = estimate_gas(args, rpc, probe)
        print(f"estimated gas: {gas}", file=sys.stderr)
        return unsigned(sequence, gas)

    if args.generate_only and args.offline:
        if args.sequence is None:
            raise CommandError("--offline --generate-only needs --sequence")
        emit(
            args, tx_json(tx_from_raw(unsigned(args.sequence, int(gas_choice)).SerializeToString()))
        )
        return 0

    rpc = rpc_client(args)
    check_denoms(rpc, messages, fee_for(1))
    account = require_account(rpc, sender.address)
    sequence = account.sequence if args.sequence is None else args.sequence
    if getattr(args, "dry_run", False):
        return _dry_run(
            args,
            rpc,
            unsigned(
                sequence,
                MAX_GAS_LIMIT if gas_choice == GAS_AUTO else int(gas_choice),
                fee_for(default_gas),
            ),
        )
    if args.generate_only:
        emit(args, tx_json(tx_from_raw(with_gas(rpc, sequence).SerializeToString())))
        return 0
    chain_id = _chain_id(args, rpc)
    account_number = account.account_number if args.account_number is None else args.account_number
    envelope = with_gas(rpc, sequence)
    if not args.yes:
        _confirm(tx_json(tx_from_raw(envelope.SerializeToString())))
    raw = sign_tx(envelope, _private_key(args, sender.name), chain_id, account_number)
    return broadcast(args, rpc, raw)


def _dry_run(args: argparse.Namespace, rpc: CometRpc, probe: tx_pb2.TxRaw) -> int:
    """`--dry-run`: the simulation's gas and events; nothing is signed or sent."""
    answer = simulate(rpc, probe)
    result = {
        **simulation_json(answer),
        "gas_estimate": str(adjusted_gas(args, answer.gas_info.gas_used)),
    }
    emit(
        args,
        result,
        f"dry run, nothing was sent: the tx would succeed\n"
        f"gas used: {answer.gas_info.gas_used}\n"
        f"gas estimate: {result['gas_estimate']} (gas used times --gas-adjustment)\n"
        f"events: {', '.join(event['type'] for event in result['events'])}",
    )
    return 0


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
    mode = getattr(args, "broadcast_mode", None) or "block"
    if mode == "async":
        with node_errors():
            rpc.call("broadcast_tx_async", tx=base64.b64encode(raw).decode("ascii"))
        answer = check_tx_response({}, tx_hash)
        emit(args, answer, tx_response_text(answer))
        return 0
    with node_errors():
        checked = check_tx_response(rpc.broadcast_tx_sync(raw), tx_hash)
    if checked["code"] != 0:
        return _report_failure(
            args,
            checked,
            f"transaction {tx_hash} rejected by CheckTx: {failure_text(checked)}"
            + sequence_hint(checked["raw_log"]),
        )
    if mode == "sync":
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


def sequence_hint(log: str) -> str:
    """What to do about a sequence mismatch in log ("" for any other failure): usually a tx
    of the same account still waits in the mempool, and the committed sequence the CLI
    signed with does not count it."""
    mismatch = re.search(r"account sequence mismatch.*expected (\d+)", log)
    if mismatch is None:
        return ""
    return (
        "; another tx from this account is pending; wait for it, "
        f"or pass --sequence {mismatch.group(1)}"
    )


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
    emit(args, simulation_json(answer), f"gas used: {answer.gas_info.gas_used}")
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
