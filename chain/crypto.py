"""Keys and addresses: secp256k1 and ed25519 account keys, bech32 `gpu1…` addresses.

Account keys are what Cosmos wallets hold: secp256k1 (libsecp256k1 through coincurve) by
default, ed25519 (PyNaCl) also accepted; consensus keys are ed25519. An address is 20
bytes derived as the Cosmos SDK does for each key type (secp256k1: ripemd160(sha256(33-byte
compressed key)); ed25519: the first 20 bytes of sha256(key)), written in bech32
(BIP-173) with the `gpu` prefix. secp256k1 signatures are 64-byte r‖s over sha256 of the
signed bytes, and only low-S signatures verify (libsecp256k1 refuses the malleable twin).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import coincurve
import coincurve.ecdsa
import nacl.exceptions
import nacl.signing

ADDRESS_PREFIX = "gpu"
ADDRESS_LENGTH = 20
PUBKEY_LENGTH = 32
SIGNATURE_LENGTH = 64
PUBKEY_TYPE_URL = "/cosmos.crypto.ed25519.PubKey"
SECP256K1_PUBKEY_TYPE_URL = "/cosmos.crypto.secp256k1.PubKey"
SECP256K1_PUBKEY_LENGTH = 33
ED25519 = "ed25519"
SECP256K1 = "secp256k1"
KEY_ALGORITHMS = (SECP256K1, ED25519)
# BIP-44 path of a Cosmos account key: coin type 118, first account, first address.
COSMOS_HD_PATH = "m/44'/118'/0'/0/0"

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(_CHARSET)}
_GENERATORS = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)

_MAX_BECH32_LENGTH = 90


class AddressError(ValueError):
    """A string is not a valid bech32 address of the expected prefix and length."""


def _generator_mix(top: int) -> int:
    mixed = 0
    for bit, generator in enumerate(_GENERATORS):
        if (top >> bit) & 1:
            mixed ^= generator
    return mixed


# The XOR of generators each 5-bit value selects: one table lookup per step of the checksum.
_GENERATOR_TABLE = tuple(_generator_mix(top) for top in range(32))


def _polymod(values: list[int]) -> int:
    checksum = 1
    table = _GENERATOR_TABLE
    for value in values:
        checksum = ((checksum & 0x1FFFFFF) << 5) ^ value ^ table[checksum >> 25]
    return checksum


def _expand_prefix(prefix: str) -> list[int]:
    return [ord(c) >> 5 for c in prefix] + [0] + [ord(c) & 31 for c in prefix]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    accumulator = 0
    bits = 0
    result = []
    max_value = (1 << to_bits) - 1
    for value in data:
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & max_value)
    if pad and bits:
        result.append((accumulator << (to_bits - bits)) & max_value)
    elif not pad and (bits >= from_bits or (accumulator << (to_bits - bits)) & max_value):
        raise AddressError("invalid padding in bech32 data")
    return result


def bech32_encode(prefix: str, data: bytes) -> str:
    """Encode bytes as bech32 with the given human-readable prefix."""
    words = _convert_bits(data, 8, 5, pad=True)
    checksum = _polymod([*_expand_prefix(prefix), *words, 0, 0, 0, 0, 0, 0]) ^ 1
    words += [(checksum >> 5 * (5 - i)) & 31 for i in range(6)]
    return prefix + "1" + "".join(_CHARSET[w] for w in words)


def bech32_decode(text: str) -> tuple[str, bytes]:
    """Decode a bech32 string into (prefix, bytes); raises AddressError naming the fault."""
    if len(text) > _MAX_BECH32_LENGTH:
        raise AddressError(f"address too long ({len(text)} characters)")
    if text.lower() != text and text.upper() != text:
        raise AddressError("address mixes upper and lower case")
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 7 > len(text):
        raise AddressError("address has no bech32 separator or is too short")
    prefix, rest = text[:separator], text[separator + 1 :]
    try:
        words = [_CHARSET_INDEX[c] for c in rest]
    except KeyError as missing:
        raise AddressError(f"address contains invalid character {missing}") from None
    if _polymod([*_expand_prefix(prefix), *words]) != 1:
        raise AddressError("address checksum is wrong")
    return prefix, bytes(_convert_bits(words[:-6], 5, 8, pad=False))


def address_from_pubkey(pubkey: bytes) -> bytes:
    """The 20-byte account address of an ed25519 public key."""
    return hashlib.sha256(pubkey).digest()[:ADDRESS_LENGTH]


@functools.lru_cache(maxsize=65536)
def encode_address(address: bytes) -> str:
    """Cached: the same accounts recur in every check, proposal, block and event."""
    return bech32_encode(ADDRESS_PREFIX, address)


def _decode_with_prefix(text: str, prefix: str, what: str) -> bytes:
    found, data = bech32_decode(text)
    if found != prefix:
        raise AddressError(f"{what} prefix is {found!r}, expected {prefix!r}")
    if len(data) != ADDRESS_LENGTH:
        raise AddressError(f"{what} is {len(data)} bytes, expected {ADDRESS_LENGTH}")
    return data


@functools.lru_cache(maxsize=65536)
def decode_address(text: str) -> bytes:
    """Parse a `gpu1…` address; raises AddressError when it is not one."""
    return _decode_with_prefix(text, ADDRESS_PREFIX, "address")


def module_address(name: str) -> bytes:
    """A module account's address, sha256(name)[:20] as Cosmos SDK derives it: no private
    key exists for it, so only the module's own code can move its funds."""
    return hashlib.sha256(name.encode()).digest()[:ADDRESS_LENGTH]


VALIDATOR_PREFIX = ADDRESS_PREFIX + "valoper"


def encode_validator_address(operator: bytes) -> str:
    return bech32_encode(VALIDATOR_PREFIX, operator)


def decode_validator_address(text: str) -> bytes:
    """Parse a `gpuvaloper1…` operator address; raises AddressError when it is not one."""
    return _decode_with_prefix(text, VALIDATOR_PREFIX, "validator address")


CONSENSUS_PREFIX = ADDRESS_PREFIX + "valcons"


def encode_consensus_address(address: bytes) -> str:
    """A validator's consensus address (of its CometBFT key) as Cosmos writes it, `gpuvalcons1…`."""
    return bech32_encode(CONSENSUS_PREFIX, address)


def decode_consensus_address(text: str) -> bytes:
    """Parse a `gpuvalcons1…` consensus address; raises AddressError when it is not one."""
    return _decode_with_prefix(text, CONSENSUS_PREFIX, "consensus address")


def _sha256(message: bytes) -> bytes:
    return hashlib.sha256(message).digest()


def secp256k1_address(pubkey: bytes) -> bytes:
    """The 20-byte account address of a compressed secp256k1 key, as Bitcoin and Cosmos."""
    return hashlib.new("ripemd160", hashlib.sha256(pubkey).digest()).digest()


def verify_secp256k1(pubkey: bytes, message: bytes, signature: bytes) -> bool:
    """Check a 64-byte r‖s signature over sha256(message); high-S, malformed keys and
    malformed signatures are simply invalid."""
    if len(pubkey) != SECP256K1_PUBKEY_LENGTH or len(signature) != SIGNATURE_LENGTH:
        return False
    try:
        der = coincurve.ecdsa.cdata_to_der(coincurve.ecdsa.deserialize_compact(signature))
        return bool(coincurve.PublicKey(pubkey).verify(der, message, hasher=_sha256))
    except (ValueError, TypeError):
        return False


@dataclass(frozen=True)
class PublicKey:
    """An account's public key: its algorithm and raw bytes (33 compressed bytes for
    secp256k1, 32 for ed25519), as a tx's signer info carries it."""

    algo: str
    key: bytes

    @property
    def type_url(self) -> str:
        return SECP256K1_PUBKEY_TYPE_URL if self.algo == SECP256K1 else PUBKEY_TYPE_URL

    @property
    def address(self) -> bytes:
        if self.algo == SECP256K1:
            return secp256k1_address(self.key)
        return address_from_pubkey(self.key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if self.algo == SECP256K1:
            return verify_secp256k1(self.key, message, signature)
        return verify_signature(self.key, message, signature)


def public_key_of_type(type_url: str, key: bytes) -> PublicKey:
    """The account key a type URL and raw key bytes name; raises ValueError naming what is
    wrong (an unknown type or a key of the wrong length)."""
    algo, length = {
        SECP256K1_PUBKEY_TYPE_URL: (SECP256K1, SECP256K1_PUBKEY_LENGTH),
        PUBKEY_TYPE_URL: (ED25519, PUBKEY_LENGTH),
    }.get(type_url, ("", 0))
    if not algo:
        raise ValueError(
            f"public key type {type_url!r} is not supported "
            f"(use {SECP256K1_PUBKEY_TYPE_URL} or {PUBKEY_TYPE_URL})"
        )
    if len(key) != length:
        raise ValueError(f"{algo} public key is {len(key)} bytes, expected {length}")
    return PublicKey(algo, key)


def verify_signature(pubkey: bytes, message: bytes, signature: bytes) -> bool:
    """Check an ed25519 signature; malformed keys or signatures are simply invalid."""
    if len(pubkey) != PUBKEY_LENGTH or len(signature) != SIGNATURE_LENGTH:
        return False
    try:
        nacl.signing.VerifyKey(pubkey).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class PrivateKey:
    """An account or consensus signing key: its 32-byte secret (the ed25519 seed, or the
    secp256k1 scalar) and its algorithm (ed25519 unless said otherwise)."""

    seed: bytes
    algo: str = ED25519

    @classmethod
    def generate(cls, algo: str = ED25519) -> PrivateKey:
        if algo == SECP256K1:
            return cls(coincurve.PrivateKey().secret, SECP256K1)
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def from_mnemonic(cls, mnemonic: str, path: str = COSMOS_HD_PATH) -> PrivateKey:
        """The secp256k1 key a Cosmos wallet derives from a BIP-39 mnemonic (no BIP-39
        passphrase) at a BIP-32 path. Raises ValueError for an invalid mnemonic."""
        from bip32 import BIP32
        from mnemonic import Mnemonic

        words = " ".join(mnemonic.split())
        if not Mnemonic("english").check(words):
            raise ValueError("mnemonic is not a valid BIP-39 English phrase (words or checksum)")
        secret = BIP32.from_seed(Mnemonic.to_seed(words, "")).get_privkey_from_path(path)
        return cls(bytes(secret), SECP256K1)

    @property
    def public_key(self) -> bytes:
        if self.algo == SECP256K1:
            return bytes(coincurve.PrivateKey(self.seed).public_key.format(compressed=True))
        return bytes(nacl.signing.SigningKey(self.seed).verify_key)

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.algo, self.public_key)

    @property
    def address(self) -> bytes:
        return self.public.address

    @property
    def bech32_address(self) -> str:
        return encode_address(self.address)

    def sign(self, message: bytes) -> bytes:
        if self.algo == SECP256K1:
            # libsecp256k1 signs deterministically (RFC 6979) and always in low-S form.
            recoverable = coincurve.PrivateKey(self.seed).sign_recoverable(message, _sha256)
            return bytes(recoverable[:SIGNATURE_LENGTH])
        return nacl.signing.SigningKey(self.seed).sign(message).signature
