"""`gpuchain keys`: create, list, show, delete, export and import keyring keys.

Keys live in `HOME/keyring-file/` (encrypted; passphrase from GPUCHAIN_KEYRING_PASSPHRASE
or asked on the terminal) or, with `--keyring-backend test`, unencrypted in
`HOME/keyring-test/`. Keys are secp256k1 by default, made from a 24-word BIP-39 mnemonic
at Cosmos's HD path m/44'/118'/0'/0/0, so `keys add NAME --recover` (the words on stdin)
or any Cosmos wallet restores the same address; `--algo ed25519` keys have no mnemonic
and recover from their 32-byte seed as 64 hex characters. Any key can be backed up with
`keys export`. An export is encrypted under its own passphrase
(GPUCHAIN_EXPORT_PASSPHRASE or asked on the terminal), never the keyring's.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from mnemonic import Mnemonic

from chain.cli.output import CommandError, emit
from chain.client_config import default_home
from chain.crypto import KEY_ALGORITHMS, SECP256K1, PrivateKey
from chain.keyring import (
    EXPORT_PASSPHRASE_ENV,
    KEY_TYPE,
    KeyInfo,
    Keyring,
    KeyringError,
    parse_hex_seed,
    prompt_passphrase,
)

TEST_BACKEND_WARNING = (
    "WARNING: the test keyring backend stores keys unencrypted on disk; "
    "use it only for local networks and tests."
)


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add the `keys` command group."""
    keys_parser = commands.add_parser(
        "keys", parents=[common], help="manage keyring keys", description=__doc__
    )
    keys_commands = keys_parser.add_subparsers(dest="keys_command", required=True, metavar="CMD")

    add = keys_commands.add_parser(
        "add",
        parents=[common],
        help="create a new key, or recover one from its mnemonic",
        description="Create a key named NAME and print its mnemonic once. With --recover, "
        "read the BIP-39 mnemonic from stdin (an ed25519 key: its seed as 64 hex characters) "
        "instead of generating one.",
    )
    add.add_argument("name", metavar="NAME", help="a name for the new key")
    add.add_argument(
        "--recover",
        action="store_true",
        help="read a mnemonic (ed25519: a hex seed) from stdin instead of generating",
    )
    add.add_argument(
        "--algo",
        choices=KEY_ALGORITHMS,
        default=SECP256K1,
        help="key algorithm (default secp256k1, as Cosmos wallets)",
    )
    add.set_defaults(func=add_key)

    list_parser = keys_commands.add_parser("list", parents=[common], help="list all keys")
    list_parser.set_defaults(func=list_keys)

    show = keys_commands.add_parser("show", parents=[common], help="show a key by name or address")
    show.add_argument("name", metavar="NAME", help="key name or gpu1… address")
    show.add_argument("-a", "--address", action="store_true", help="print only the address")
    show.set_defaults(func=show_key)

    delete = keys_commands.add_parser("delete", parents=[common], help="delete a key")
    delete.add_argument("name", metavar="NAME", help="key name")
    delete.add_argument("-y", "--yes", action="store_true", help="skip the confirmation")
    delete.set_defaults(func=delete_key)

    export = keys_commands.add_parser(
        "export",
        parents=[common],
        help="print a key as passphrase-encrypted ASCII armor",
        description="Print the key as ASCII armor encrypted under an export passphrase, "
        f"read from {EXPORT_PASSPHRASE_ENV} or asked on the terminal; it must differ from "
        "the keyring passphrase.",
    )
    export.add_argument("name", metavar="NAME", help="key name")
    export.set_defaults(func=export_key)

    import_parser = keys_commands.add_parser(
        "import",
        parents=[common],
        help="import a key exported with `keys export`",
        description="Store the armored key in FILE ('-' for stdin) as NAME; its export "
        f"passphrase is read from {EXPORT_PASSPHRASE_ENV} or asked on the terminal.",
    )
    import_parser.add_argument("name", metavar="NAME", help="a name for the imported key")
    import_parser.add_argument("file", metavar="FILE", help="armored key file, or - for stdin")
    import_parser.set_defaults(func=import_key)


def open_keyring(args: argparse.Namespace) -> Keyring:
    """The keyring selected by --home and --keyring-backend."""
    try:
        return Keyring(Path(args.home), args.keyring_backend)
    except KeyringError as error:
        raise CommandError(str(error)) from None


def key_json(info: KeyInfo) -> dict[str, Any]:
    """A key as `keys show -o json` prints it in the Cosmos SDK."""
    pubkey = {
        "@type": info.public_key.type_url,
        "key": base64.b64encode(info.public_key.key).decode("ascii"),
    }
    return {
        "name": info.name,
        "type": KEY_TYPE,
        "address": info.address,
        "pubkey": json.dumps(pubkey, separators=(",", ":")),
    }


def key_text(info: KeyInfo) -> str:
    """A key as the YAML-like list item `keys show` prints for people."""
    record = key_json(info)
    return (
        f"- address: {record['address']}\n"
        f"  name: {record['name']}\n"
        f"  pubkey: '{record['pubkey']}'\n"
        f"  type: {record['type']}"
    )


def add_key(args: argparse.Namespace) -> int:
    """`keys add NAME [--algo secp256k1|ed25519] [--recover]`."""
    keyring = open_keyring(args)
    mnemonic = ""
    try:
        private_key: PrivateKey | None = None
        if args.algo == SECP256K1 and args.recover:
            mnemonic = _read_secret(
                "Enter your bip39 mnemonic: ",
                "no mnemonic on stdin: --recover reads the BIP-39 words from stdin",
            )
        elif args.algo == SECP256K1:
            mnemonic = Mnemonic("english").generate(256)
        elif args.recover:
            seed = _read_secret(
                "Enter the key's seed (64 hex characters): ",
                "no seed on stdin: --recover reads 64 hex characters from stdin",
            )
            private_key = parse_hex_seed(seed)
        if mnemonic:
            private_key = _key_from_mnemonic(mnemonic)
        info = keyring.add(args.name, private_key)
    except KeyringError as error:
        raise CommandError(str(error)) from None
    if keyring.backend == "test":
        print(TEST_BACKEND_WARNING, file=sys.stderr)
    record = key_json(info)
    if args.recover:
        emit(args, record, key_text(info))
    elif mnemonic:
        emit(
            args,
            {**record, "mnemonic": mnemonic},
            key_text(info) + "\n\n**Important** write this mnemonic phrase in a safe place.\n"
            "It is the only way to recover your account (`gpuchain keys add "
            f"{info.name} --recover{_keyring_flags(args)}`, or any Cosmos wallet).\n\n" + mnemonic,
        )
    else:
        print(
            f"Back this key up with `gpuchain keys export {info.name}{_keyring_flags(args)}`: "
            "an ed25519 key has no mnemonic to recover it from.",
            file=sys.stderr,
        )
        emit(args, record, key_text(info))
    return 0


def _keyring_flags(args: argparse.Namespace) -> str:
    """The flags that reach this keyring again, for a hint to copy: --home unless it is
    the default one, --keyring-backend unless it is file."""
    flags = ""
    if Path(args.home).resolve() != default_home().resolve():
        flags += f" --home {args.home}"
    if args.keyring_backend != "file":
        flags += f" --keyring-backend {args.keyring_backend}"
    return flags


def _key_from_mnemonic(mnemonic: str) -> PrivateKey:
    try:
        return PrivateKey.from_mnemonic(mnemonic)
    except ValueError as error:
        raise KeyringError(str(error)) from None


def list_keys(args: argparse.Namespace) -> int:
    """`keys list`."""
    keyring = open_keyring(args)
    try:
        infos = keyring.list()
    except KeyringError as error:
        raise CommandError(str(error)) from None
    text = (
        "\n".join(key_text(info) for info in infos)
        if infos
        else f"No keys in the {keyring.backend} keyring at {keyring.directory}; "
        + keyring.switch_hint()
    )
    emit(args, [key_json(info) for info in infos], text)
    return 0


def show_key(args: argparse.Namespace) -> int:
    """`keys show NAME [-a]`; with -a, exactly the address and a newline, whatever -o says."""
    try:
        info = open_keyring(args).show(args.name)
    except KeyringError as error:
        raise CommandError(str(error)) from None
    if args.address:
        print(info.address)
    else:
        emit(args, key_json(info), key_text(info))
    return 0


def delete_key(args: argparse.Namespace) -> int:
    """`keys delete NAME [--yes]`; asks for confirmation on a terminal unless --yes."""
    keyring = open_keyring(args)
    try:
        if not keyring.has(args.name):
            raise KeyringError(
                f"unknown key: no key named {args.name!r} in the {keyring.backend} keyring "
                "(delete takes a name, not an address)"
            )
        if not args.yes:
            if not sys.stdin.isatty():
                raise CommandError(
                    f"refusing to delete key {args.name!r} without confirmation: "
                    "stdin is not a terminal, pass --yes"
                )
            print(f"Key {args.name!r} will be deleted. Continue? [y/N] ", end="", file=sys.stderr)
            sys.stderr.flush()
            if sys.stdin.readline().strip().lower() not in ("y", "yes"):
                raise CommandError(f"key {args.name!r} not deleted: not confirmed")
        keyring.delete(args.name)
    except KeyringError as error:
        raise CommandError(str(error)) from None
    emit(args, {"name": args.name, "deleted": True}, f"Key {args.name!r} deleted.")
    return 0


def export_key(args: argparse.Namespace) -> int:
    """`keys export NAME`: the armored key on stdout."""
    keyring = open_keyring(args)
    try:
        keyring.show(args.name)  # an unknown key fails before any passphrase is asked for
        export_passphrase = prompt_passphrase(
            "Enter passphrase to encrypt the exported key: ", EXPORT_PASSPHRASE_ENV
        )
        if sys.stdin.isatty() and EXPORT_PASSPHRASE_ENV not in os.environ:
            again = prompt_passphrase("Re-enter export passphrase: ", EXPORT_PASSPHRASE_ENV)
            if again != export_passphrase:
                raise KeyringError("export passphrases do not match")
        armored = keyring.export(args.name, export_passphrase)
    except KeyringError as error:
        raise CommandError(str(error)) from None
    emit(args, {"name": args.name, "armor": armored}, armored.rstrip("\n"))
    return 0


def import_key(args: argparse.Namespace) -> int:
    """`keys import NAME FILE`."""
    try:
        armored = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read armored key file {args.file}: {error}") from None
    keyring = open_keyring(args)
    try:
        export_passphrase = prompt_passphrase(
            "Enter passphrase to decrypt the imported key: ", EXPORT_PASSPHRASE_ENV
        )
        info = keyring.import_key(args.name, armored, export_passphrase)
    except KeyringError as error:
        raise CommandError(str(error)) from None
    emit(args, key_json(info), key_text(info))
    return 0


def _read_secret(prompt: str, missing: str) -> str:
    """A secret for --recover: asked without echo on a terminal, else one line of stdin."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line.strip():
        raise KeyringError(missing)
    return line
