"""The client keyring: named secp256k1 (default) or ed25519 keys on disk under the home.

Layout, as in the Cosmos SDK: `HOME/keyring-file/` (encrypted) or `HOME/keyring-test/`
(plaintext, for local networks and tests). Directories are 0700, files 0600, and every
file is written to a temporary name and moved into place, so a crash never leaves half
a key behind.

`NAME.info` is one JSON object per key::

    {"name": "alice", "type": "local", "algo": "secp256k1",
     "address": "gpu1…", "pubkey": "<base64, 33 bytes (ed25519: 32)>",
     "seed": "<hex, 32-byte secret>"}                        # test backend
     "encrypted_seed": {"kdf": "argon2id", "opslimit": 2, "memlimit": 67108864,
                        "salt": "<base64>", "box": "<base64 nonce+ciphertext>"}  # file backend

The file backend derives a 32-byte key from the keyring passphrase with argon2id (a fresh
random salt per key) and seals the seed with XSalsa20-Poly1305 (`nacl.secret.SecretBox`).
`HOME/keyring-file/keyhash` holds an argon2id hash of the passphrase, written when the
first key is stored, so a mistyped passphrase is refused up front instead of leaving
keys that open with different passphrases.

Exported keys are ASCII-armored: `kdf` and `type` headers, then the base64 of
salt (16 bytes) + nonce (24 bytes) + SecretBox ciphertext of the seed, under a key
derived from the export passphrase with the same argon2id parameters.

A secp256k1 key is made from a BIP-39 mnemonic at Cosmos's HD path, so the same words
restore it here or in any Cosmos wallet (the keyring keeps the derived secret, not the
words); any key is also backed up with `export`. A record without "algo" is ed25519.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import getpass
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.pwhash.argon2id
import nacl.secret
import nacl.utils

from chain.config import make_private_dir
from chain.crypto import (
    ED25519,
    KEY_ALGORITHMS,
    SECP256K1,
    AddressError,
    PrivateKey,
    PublicKey,
    decode_address,
)

BACKENDS = ("file", "test")
PASSPHRASE_ENV = "GPUCHAIN_KEYRING_PASSPHRASE"
EXPORT_PASSPHRASE_ENV = "GPUCHAIN_EXPORT_PASSPHRASE"
KEY_TYPE = "local"
SEED_LENGTH = 32
INFO_SUFFIX = ".info"
KEYHASH_FILE = "keyhash"
ARMOR_BEGIN = "-----BEGIN GPUCHAIN PRIVATE KEY-----"
ARMOR_END = "-----END GPUCHAIN PRIVATE KEY-----"

# Interactive limits (~0.1 s, 64 MiB): enough to make guessing slow for a client keyring
# while keeping every command, and the test suite, quick.
KDF_NAME = "argon2id"
KDF_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
KDF_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
SALT_LENGTH = nacl.pwhash.argon2id.SALTBYTES
NONCE_LENGTH = nacl.secret.SecretBox.NONCE_SIZE

_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_ARMOR_LINE_WIDTH = 64


class KeyringError(Exception):
    """A keyring operation failed; the message names the key and the problem."""


@dataclass(frozen=True)
class KeyInfo:
    """The public part of a stored key: its name, `gpu1…` address and public key."""

    name: str
    address: str
    public_key: PublicKey


def prompt_passphrase(prompt: str, variable: str = PASSPHRASE_ENV) -> str:
    """Read a passphrase from the environment variable, or ask on the terminal.

    The keyring's passphrase comes from GPUCHAIN_KEYRING_PASSPHRASE, an export's from
    GPUCHAIN_EXPORT_PASSPHRASE, so one secret never silently serves as the other.
    Raises KeyringError when the variable is unset and stdin is not a terminal.
    """
    from_environment = os.environ.get(variable)
    if from_environment is not None:
        return from_environment
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    hint = " or use --keyring-backend test" if variable == PASSPHRASE_ENV else ""
    raise KeyringError(f"no passphrase: set {variable}{hint} (stdin is not a terminal to ask on)")


def validate_name(name: str) -> None:
    """Raise KeyringError unless name is 1-64 characters of letters, digits, `_`, `.`, `-`."""
    if not _NAME_PATTERN.fullmatch(name):
        raise KeyringError(
            f"bad key name {name!r}: use 1-64 characters of letters, digits, '_', '.', '-'"
        )


def parse_hex_seed(text: str) -> PrivateKey:
    """An ed25519 private key from its 32-byte seed written as 64 hex characters."""
    cleaned = text.strip().removeprefix("0x")
    try:
        seed = bytes.fromhex(cleaned)
    except ValueError:
        raise KeyringError("seed is not hexadecimal: expected 64 hex characters") from None
    if len(seed) != SEED_LENGTH:
        raise KeyringError(f"seed is {len(seed)} bytes, expected {SEED_LENGTH} (64 hex characters)")
    return PrivateKey(seed)


def _derive_key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    derived: bytes = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE,
        passphrase.encode("utf-8"),
        salt,
        opslimit=opslimit,
        memlimit=memlimit,
    )
    return derived


def _seal(passphrase: str, plaintext: bytes) -> tuple[bytes, bytes]:
    """Encrypt under a fresh salt; returns (salt, nonce + ciphertext)."""
    salt = nacl.utils.random(SALT_LENGTH)
    key = _derive_key(passphrase, salt, KDF_OPSLIMIT, KDF_MEMLIMIT)
    sealed = bytes(nacl.secret.SecretBox(key).encrypt(plaintext))
    return salt, sealed


def _open(passphrase: str, salt: bytes, sealed: bytes, opslimit: int, memlimit: int) -> bytes:
    """Decrypt; raises nacl.exceptions.CryptoError on a wrong passphrase or damaged data."""
    key = _derive_key(passphrase, salt, opslimit, memlimit)
    plaintext: bytes = nacl.secret.SecretBox(key).decrypt(sealed)
    return plaintext


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"{what} is not a string")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError(f"{what} is not base64") from None


def _write_private_file(path: Path, data: bytes, *, replace: bool) -> None:
    """Write data to path atomically with mode 0600.

    With replace=False the file must not exist yet; raises FileExistsError if it does.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            _move_into_place_exclusively(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _sync_directory(path.parent)


def _move_into_place_exclusively(temporary: str, path: Path) -> None:
    """Move a finished file to path unless path exists (raises FileExistsError)."""
    try:
        # link() refuses an existing target, so two concurrent adds cannot both win.
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        # Filesystems without hard links: a check, then an atomic rename.
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(temporary, path)


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Keyring:
    """Named keys under `HOME/keyring-BACKEND/`; see the module docstring for the format.

    `passphrase(prompt)` supplies the keyring passphrase for the file backend; it is asked
    for at most once per Keyring (twice when the keyring is new, to confirm it) and only
    by operations that need the secret: add, import_key and private_key.
    """

    def __init__(
        self,
        home: Path,
        backend: str = "file",
        passphrase: Callable[[str], str] | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise KeyringError(f"unknown keyring backend {backend!r}: expected file or test")
        self.home = Path(home)
        self.backend = backend
        self.directory = self.home / f"keyring-{backend}"
        self._ask = passphrase if passphrase is not None else prompt_passphrase
        self._passphrase: str | None = None

    # Views

    def list(self) -> list[KeyInfo]:
        """Every key in the keyring, sorted by name."""
        if not self.directory.is_dir():
            return []
        infos = [
            self._info_from_record(self._read_record(path))
            for path in self.directory.iterdir()
            if path.name.endswith(INFO_SUFFIX)
        ]
        return sorted(infos, key=lambda info: info.name)

    def has(self, name: str) -> bool:
        """Whether a key with exactly this name is stored (addresses are not matched)."""
        return bool(_NAME_PATTERN.fullmatch(name)) and self._path(name).is_file()

    def show(self, name_or_address: str) -> KeyInfo:
        """The key with this name or, failing that, this `gpu1…` address.

        Raises KeyringError when no key matches.
        """
        return self._info_from_record(self._find_record(name_or_address))

    def private_key(self, name_or_address: str) -> PrivateKey:
        """The decrypted private key; raises KeyringError for an unknown key or wrong passphrase."""
        return self._private_key_of(self._find_record(name_or_address))

    # Writes

    def add(self, name: str, private_key: PrivateKey | None = None) -> KeyInfo:
        """Store a key under a new name, generating one if none is given.

        Raises KeyringError for a bad or taken name, an address already stored under
        another name, or a missing or wrong passphrase (file backend).
        """
        validate_name(name)
        key = private_key if private_key is not None else PrivateKey.generate(SECP256K1)
        if len(key.seed) != SEED_LENGTH:
            raise KeyringError(f"private key seed is {len(key.seed)} bytes, expected 32")
        address = key.bech32_address
        if self._path(name).exists():
            raise KeyringError(f"duplicate name: a key named {name!r} already exists")
        for existing in self.list():
            if existing.address == address:
                raise KeyringError(
                    f"duplicate key: address {address} is already stored as {existing.name!r}"
                )
        record: dict[str, Any] = {
            "name": name,
            "type": KEY_TYPE,
            "algo": key.algo,
            "address": address,
            "pubkey": _b64(key.public_key),
        }
        if self.backend == "test":
            record["seed"] = key.seed.hex()
        else:
            passphrase = self._keyring_passphrase()
            salt, sealed = _seal(passphrase, key.seed)
            record["encrypted_seed"] = {
                "kdf": KDF_NAME,
                "opslimit": KDF_OPSLIMIT,
                "memlimit": KDF_MEMLIMIT,
                "salt": _b64(salt),
                "box": _b64(sealed),
            }
        self._ensure_directory()
        data = (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8")
        try:
            _write_private_file(self._path(name), data, replace=False)
        except FileExistsError:
            raise KeyringError(f"duplicate name: a key named {name!r} already exists") from None
        return KeyInfo(name=name, address=address, public_key=key.public)

    def delete(self, name: str) -> None:
        """Remove the key with this name; raises KeyringError if there is none."""
        validate_name(name)
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            raise KeyringError(f"unknown key: no key named {name!r}") from None
        _sync_directory(self.directory)

    def export(self, name: str, export_passphrase: str) -> str:
        """The key as ASCII armor, encrypted under export_passphrase.

        Raises KeyringError for an unknown key, an empty export passphrase, a wrong
        keyring passphrase, or (file backend) an export passphrase equal to the keyring's:
        an exported key travels, and must not open with the secret that guards the others.
        """
        if not export_passphrase:
            raise KeyringError("empty export passphrase: choose one to encrypt the exported key")
        key = self.private_key(name)
        if self.backend == "file" and export_passphrase == self._keyring_passphrase():
            raise KeyringError(
                "the export passphrase must differ from the keyring passphrase: "
                f"choose another (from {EXPORT_PASSPHRASE_ENV} or the terminal)"
            )
        salt, sealed = _seal(export_passphrase, key.seed)
        body = _b64(salt + sealed)
        lines = [body[i : i + _ARMOR_LINE_WIDTH] for i in range(0, len(body), _ARMOR_LINE_WIDTH)]
        return "\n".join(
            [ARMOR_BEGIN, f"kdf: {KDF_NAME}", f"type: {key.algo}", "", *lines, ARMOR_END, ""]
        )

    def import_key(self, name: str, armored: str, export_passphrase: str) -> KeyInfo:
        """Store a key exported with `export` under a new name.

        Raises KeyringError for malformed armor, a wrong export passphrase, or anything
        `add` refuses.
        """
        validate_name(name)
        algo, salt_and_sealed = _parse_armor(armored)
        salt, sealed = salt_and_sealed[:SALT_LENGTH], salt_and_sealed[SALT_LENGTH:]
        try:
            seed = _open(export_passphrase, salt, sealed, KDF_OPSLIMIT, KDF_MEMLIMIT)
        except nacl.exceptions.CryptoError:
            raise KeyringError(
                "wrong export passphrase: the armored key does not decrypt with it"
            ) from None
        if len(seed) != SEED_LENGTH:
            raise KeyringError(f"armored key holds {len(seed)} bytes, expected a 32-byte seed")
        return self.add(name, PrivateKey(seed, algo))

    # Internals

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}{INFO_SUFFIX}"

    def _ensure_directory(self) -> None:
        make_private_dir(self.directory)
        os.chmod(self.directory, 0o700)

    def _find_record(self, name_or_address: str) -> dict[str, Any]:
        record = self._lookup(name_or_address)
        if record is None:
            raise KeyringError(
                f"unknown key: no key named or with address {name_or_address!r} in the "
                f"{self.backend} keyring at {self.directory}; {self.switch_hint(name_or_address)}"
            )
        return record

    def _lookup(self, name_or_address: str) -> dict[str, Any] | None:
        # A name is tried first: every address is also a well-formed name.
        if _NAME_PATTERN.fullmatch(name_or_address):
            path = self._path(name_or_address)
            if path.is_file():
                return self._read_record(path)
        try:
            decode_address(name_or_address)
        except AddressError:
            pass
        else:
            for info in self.list():
                if info.address == name_or_address.lower():
                    return self._read_record(self._path(info.name))
        return None

    def other_backends(self) -> tuple[Keyring, ...]:
        """The keyrings of the same home under the other backends."""
        return tuple(Keyring(self.home, other) for other in BACKENDS if other != self.backend)

    def switch_hint(self, name_or_address: str | None = None) -> str:
        """How to use another backend's keyring, saying where the key (or any key) is."""
        for other in self.other_backends():
            has_it = name_or_address is not None and other.holds(name_or_address)
            if has_it or (name_or_address is None and other.list()):
                what = "that key" if has_it else "keys"
                return (
                    f"the {other.backend} keyring at {other.directory} has {what}: pass "
                    f"--keyring-backend {other.backend}, or make it the default with "
                    f"`gpuchain config set client keyring-backend {other.backend}`"
                )
        names = " or ".join(other.backend for other in self.other_backends())
        return (
            f"another backend: --keyring-backend {names}; another home: --home (the default "
            "is $GPUCHAIN_HOME, else ~/.gpuchain)"
        )

    def holds(self, name_or_address: str) -> bool:
        """Whether a key with this name or address is stored here."""
        return self._lookup(name_or_address) is not None

    def _read_record(self, path: Path) -> dict[str, Any]:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise KeyringError(f"cannot read key file {path}: {error}") from None
        if not isinstance(record, dict):
            raise KeyringError(f"key file {path} is corrupt: not a JSON object")
        try:
            info = self._info_from_record(record)
        except KeyringError as error:
            raise KeyringError(f"key file {path} is corrupt: {error}") from None
        if path.name != f"{info.name}{INFO_SUFFIX}":
            raise KeyringError(f"key file {path} is corrupt: it holds key {info.name!r}")
        return record

    @staticmethod
    def _info_from_record(record: dict[str, Any]) -> KeyInfo:
        name, address = record.get("name"), record.get("address")
        if not isinstance(name, str) or not isinstance(address, str):
            raise KeyringError("name or address missing")
        algo = record.get("algo", ED25519)
        if algo not in KEY_ALGORITHMS:
            raise KeyringError(f"unknown key algorithm {algo!r}")
        try:
            public_key = _unb64(record.get("pubkey"), "pubkey")
        except ValueError as error:
            raise KeyringError(str(error)) from None
        return KeyInfo(name=name, address=address, public_key=PublicKey(algo, public_key))

    def _private_key_of(self, record: dict[str, Any]) -> PrivateKey:
        name = record["name"]
        if self.backend == "test":
            seed_hex = record.get("seed")
            if not isinstance(seed_hex, str):
                raise KeyringError(f"key {name!r} has no seed in the test keyring")
            try:
                seed = bytes.fromhex(seed_hex)
            except ValueError:
                raise KeyringError(f"key {name!r} is corrupt: seed is not hex") from None
        else:
            encrypted = record.get("encrypted_seed")
            try:
                if not isinstance(encrypted, dict) or encrypted.get("kdf") != KDF_NAME:
                    raise ValueError("no argon2id-encrypted seed")
                salt = _unb64(encrypted.get("salt"), "salt")
                sealed = _unb64(encrypted.get("box"), "box")
                opslimit, memlimit = encrypted.get("opslimit"), encrypted.get("memlimit")
                if not isinstance(opslimit, int) or not isinstance(memlimit, int):
                    raise ValueError("argon2id limits missing")
            except ValueError as error:
                raise KeyringError(f"key {name!r} is corrupt: {error}") from None
            passphrase = self._keyring_passphrase()
            try:
                seed = _open(passphrase, salt, sealed, opslimit, memlimit)
            except nacl.exceptions.CryptoError:
                raise KeyringError(
                    f"wrong passphrase: cannot decrypt key {name!r} with it"
                ) from None
        key = PrivateKey(seed, record.get("algo", ED25519))
        if key.bech32_address != record["address"]:
            raise KeyringError(f"key {name!r} is corrupt: its seed does not match its address")
        return key

    def _keyring_passphrase(self) -> str:
        """The file backend's passphrase, asked once and checked against `keyhash`."""
        if self._passphrase is not None:
            return self._passphrase
        keyhash_path = self.directory / KEYHASH_FILE
        if keyhash_path.is_file():
            passphrase = self._ask("Enter keyring passphrase: ")
            try:
                nacl.pwhash.verify(keyhash_path.read_bytes().strip(), passphrase.encode("utf-8"))
            except nacl.exceptions.InvalidkeyError:
                raise KeyringError(
                    f"wrong passphrase for the keyring at {self.directory}"
                ) from None
        else:
            passphrase = self._ask("Enter a passphrase for the new keyring: ")
            if not passphrase:
                raise KeyringError("empty passphrase: the file keyring needs one to encrypt keys")
            if self._ask("Re-enter keyring passphrase: ") != passphrase:
                raise KeyringError("passphrases do not match")
            keyhash = nacl.pwhash.argon2id.str(
                passphrase.encode("utf-8"), opslimit=KDF_OPSLIMIT, memlimit=KDF_MEMLIMIT
            )
            self._ensure_directory()
            _write_private_file(keyhash_path, bytes(keyhash) + b"\n", replace=True)
        self._passphrase = passphrase
        return passphrase


def _parse_armor(armored: str) -> tuple[str, bytes]:
    """The key's algorithm and salt + nonce + ciphertext from an armored key; raises
    KeyringError if malformed."""
    lines = [line.strip() for line in armored.strip().splitlines()]
    if len(lines) < 3 or lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise KeyringError(f"not an armored gpuchain key: expected {ARMOR_BEGIN} ... {ARMOR_END}")
    inner = lines[1:-1]
    headers: dict[str, str] = {}
    body_start = 0
    for index, line in enumerate(inner):
        if not line:
            body_start = index + 1
            break
        if ":" not in line:
            break
        key, value = line.split(":", 1)
        headers[key.strip().lower()] = value.strip()
    if headers.get("kdf", KDF_NAME) != KDF_NAME:
        raise KeyringError(f"armored key uses kdf {headers['kdf']!r}, expected {KDF_NAME}")
    algo = headers.get("type", ED25519)
    if algo not in KEY_ALGORITHMS:
        raise KeyringError(
            f"armored key is of type {algo!r}, expected one of {', '.join(KEY_ALGORITHMS)}"
        )
    try:
        payload = base64.b64decode("".join(inner[body_start:]), validate=True)
    except binascii.Error:
        raise KeyringError("armored key body is not base64") from None
    if len(payload) < SALT_LENGTH + NONCE_LENGTH + nacl.secret.SecretBox.MACBYTES:
        raise KeyringError("armored key is truncated")
    return algo, payload
