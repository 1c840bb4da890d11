"""Keys and addresses: ed25519 (PyNaCl) and bech32 `gpu1…` addresses.

An address is the first 20 bytes of sha256(public key), as Cosmos SDK derives it for
ed25519 keys, written in bech32 (BIP-173) with the `gpu` prefix.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing

ADDRESS_PREFIX = "gpu"
ADDRESS_LENGTH = 20
PUBKEY_LENGTH = 32
SIGNATURE_LENGTH = 64
PUBKEY_TYPE_URL = "/cosmos.crypto.ed25519.PubKey"

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
    """An ed25519 signing key, kept as its 32-byte seed."""

    seed: bytes

    @classmethod
    def generate(cls) -> PrivateKey:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def public_key(self) -> bytes:
        return bytes(nacl.signing.SigningKey(self.seed).verify_key)

    @property
    def address(self) -> bytes:
        return address_from_pubkey(self.public_key)

    @property
    def bech32_address(self) -> str:
        return encode_address(self.address)

    def sign(self, message: bytes) -> bytes:
        return nacl.signing.SigningKey(self.seed).sign(message).signature
