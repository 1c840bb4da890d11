"""Token amounts as exact integers: a coin is (denom, amount), coins are sorted by denom.

Amounts are non-negative integers below 2**256, as in Cosmos SDK's Int; there are no
fractions anywhere in balances. Gas prices, which may be fractional, are exact decimals
scaled to integers (`DecPrice`), and fees round up.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from chain.errors import INVALID_COINS, ErrorKind
from chain.pb.cosmos.base.v1beta1 import coin_pb2

MAX_AMOUNT = 2**256 - 1
# Digits are counted before int() converts them: Python refuses (or, with another
# PYTHONINTMAXSTRDIGITS, accepts) long digit strings, and every node must agree.
MAX_AMOUNT_DIGITS = len(str(MAX_AMOUNT))
DENOM_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z0-9/:._-]{2,127}")  # Cosmos's, whole string
_COIN_PATTERN = re.compile(r"^\s*([0-9]+)\s*([a-zA-Z][a-zA-Z0-9/:._-]{2,127})\s*$")
_DEC_COIN_PATTERN = re.compile(
    r"^\s*([0-9]{1,78}(?:\.[0-9]+)?)\s*([a-zA-Z][a-zA-Z0-9/:._-]{2,127})\s*$"
)
DEC_DECIMALS = 18
DEC_ONE: int = 10**DEC_DECIMALS  # fixed point of rates, fractions and gas prices, as Cosmos Dec
_DEC_PATTERN = re.compile(rf"([0-9]{{1,{MAX_AMOUNT_DIGITS}}})(?:\.([0-9]{{1,18}}))?")


def quoted(text: str, limit: int = 80) -> str:
    """repr of outside input for an error log, cut short so a huge field stays a short line."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} chars)"


def _scaled(whole: str, fraction: str) -> int:
    return int(whole) * DEC_ONE + int(fraction.ljust(DEC_DECIMALS, "0"))


def parse_dec(text: str, field_name: str, error: ErrorKind, example: str = "0.10") -> int:
    """Parse a non-negative decimal like "0.10" into an 18-decimal integer; raises error
    naming the field when the text is not one."""
    match = _DEC_PATTERN.fullmatch(text.strip())
    if not match:
        raise error(f"{field_name} {quoted(text)} is not a decimal like {example}")
    return _scaled(match.group(1), match.group(2) or "")


def format_dec(value: int) -> str:
    """An 18-decimal integer as Cosmos prints a Dec, e.g. "0.100000000000000000"."""
    whole, fraction = divmod(value, DEC_ONE)
    return f"{whole}.{str(fraction).rjust(DEC_DECIMALS, '0')}"


def dec_wire(value: int) -> str:
    """An 18-decimal integer as Cosmos puts a LegacyDec on the protobuf wire: its digits
    without a point (math.LegacyDec.Marshal writes the scaled big.Int), so 0.1 is
    "100000000000000000". cosmpy and CosmJS read Dec fields in this form."""
    return str(value)


def dec_from_wire(text: str) -> int:
    """The 18-decimal integer of a LegacyDec read off the wire (see dec_wire); a malformed
    one raises INVALID_COINS."""
    if not text.isdigit() or len(text) > MAX_AMOUNT_DIGITS + DEC_DECIMALS:
        raise INVALID_COINS(f"invalid decimal {quoted(text)} on the wire")
    return int(text)


@functools.lru_cache(maxsize=1024)
def validate_denom(denom: str) -> None:
    """Raises INVALID_COINS for a malformed denom (valid ones are remembered: few exist)."""
    if not DENOM_PATTERN.fullmatch(denom):
        raise INVALID_COINS(f"invalid denom {quoted(denom)}")


def parse_amount(text: str, what: str = "amount") -> int:
    """A base-10 integer string as Cosmos encodes amounts; raises INVALID_COINS naming it."""
    if not text or not text.isascii() or not text.isdigit():
        raise INVALID_COINS(f"{what} {quoted(text)} is not a non-negative integer")
    if len(text) > MAX_AMOUNT_DIGITS:
        raise INVALID_COINS(f"{what} has {len(text)} digits; 2^256-1 has {MAX_AMOUNT_DIGITS}")
    value = int(text)
    if value > MAX_AMOUNT:
        raise INVALID_COINS(f"{what} {text} exceeds 2^256-1")
    return value


@dataclass(frozen=True, order=True)
class Coin:
    denom: str
    amount: int

    def __str__(self) -> str:
        return f"{self.amount}{self.denom}"

    def to_pb(self) -> coin_pb2.Coin:
        return coin_pb2.Coin(denom=self.denom, amount=str(self.amount))


@dataclass(frozen=True)
class Coins:
    """A canonical set of coins: sorted by denom, no duplicates, no zero amounts."""

    items: tuple[Coin, ...] = ()

    @classmethod
    def of(cls, coins: Iterable[Coin]) -> Coins:
        """Validate and sort; raises INVALID_COINS for a zero amount or a repeated denom."""
        ordered = sorted(coins)
        for index, coin in enumerate(ordered):
            validate_denom(coin.denom)
            if coin.amount <= 0:
                raise INVALID_COINS(f"amount of {coin.denom} must be positive, got {coin.amount}")
            if coin.amount > MAX_AMOUNT:
                raise INVALID_COINS(f"amount of {coin.denom} exceeds 2^256-1")
            if index and ordered[index - 1].denom == coin.denom:
                raise INVALID_COINS(f"duplicate denom {coin.denom}")
        return cls(tuple(ordered))

    @classmethod
    def single(cls, denom: str, amount: int) -> Coins:
        """amount of one denom (no coins for 0); raises INVALID_COINS as `of` does."""
        return cls.of([Coin(denom, amount)]) if amount else cls()

    @classmethod
    def parse(cls, text: str) -> Coins:
        """Parse "10ugpc,5uatom" as the CLI takes amounts."""
        if not text.strip():
            return cls()
        coins = []
        for part in text.split(","):
            match = _COIN_PATTERN.match(part)
            if not match:
                raise INVALID_COINS(f"cannot parse {part.strip()!r} as an amount like 1000ugpc")
            coins.append(Coin(match.group(2), parse_amount(match.group(1))))
        return cls.of(coins)

    def amount_of(self, denom: str) -> int:
        for coin in self.items:
            if coin.denom == denom:
                return coin.amount
        return 0

    def __add__(self, other: Coins) -> Coins:
        totals: dict[str, int] = {}
        for coin in (*self.items, *other.items):
            totals[coin.denom] = totals.get(coin.denom, 0) + coin.amount
        return Coins.of(Coin(denom, amount) for denom, amount in totals.items())

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __str__(self) -> str:
        return ",".join(str(c) for c in self.items)

    def to_json(self) -> list[dict[str, str]]:
        return [{"denom": c.denom, "amount": str(c.amount)} for c in self.items]

    def to_pb(self) -> list[coin_pb2.Coin]:
        """The coins as Cosmos's repeated Coin field (empty for no coins)."""
        return [coin.to_pb() for coin in self.items]


@dataclass(frozen=True)
class DecPrice:
    """A price per unit of gas, exact: `scaled` / 10**18 of `denom`."""

    denom: str
    scaled: int

    @classmethod
    def parse(cls, text: str) -> DecPrice:
        """Parse "0.025ugpc"; raises INVALID_COINS for a malformed price."""
        match = _DEC_COIN_PATTERN.match(text)
        if not match:
            raise INVALID_COINS(f"cannot parse gas price {text!r}, expected e.g. 0.025ugpc")
        whole, _, fraction = match.group(1).partition(".")
        if len(fraction) > DEC_DECIMALS:
            raise INVALID_COINS(f"gas price {text!r} has more than {DEC_DECIMALS} decimals")
        return cls(match.group(2), _scaled(whole, fraction))

    def fee_for(self, gas: int) -> int:
        """The smallest whole fee that pays `gas` at this price (rounded up)."""
        return -(-gas * self.scaled // DEC_ONE)

    def __str__(self) -> str:
        whole, fraction = divmod(self.scaled, DEC_ONE)
        digits = str(fraction).rjust(DEC_DECIMALS, "0").rstrip("0")
        return f"{whole}.{digits}{self.denom}" if digits else f"{whole}{self.denom}"
