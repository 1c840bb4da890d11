"""Quantities as Akash reads them: CPU units, byte sizes, prices, durations and versions.

Every function takes the raw scalar text and returns an integer (or raises ValueError with a
message meant for a user). CPU and size parsing copy Go's float64 arithmetic on purpose (the
number part is read as an IEEE-754 double, scaled and truncated), so `1.003` gives 1002
millicores, as in Akash; the result is an integer and the steps are deterministic on every
platform.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Final

PRICE_SCALE: Final = 10**18
"""Prices are integers in units of 10^-18 denom, like a Cosmos DecCoin."""

_SIZE_SUFFIXES: Final = {
    "k": 10**3,
    "Ki": 2**10,
    "M": 10**6,
    "Mi": 2**20,
    "G": 10**9,
    "Gi": 2**30,
    "T": 10**12,
    "Ti": 2**40,
    "P": 10**15,
    "Pi": 2**50,
    "E": 10**18,
    "Ei": 2**60,
}
_BINARY_SUFFIXES: Final = {key: value for key, value in _SIZE_SUFFIXES.items() if key.endswith("i")}
_FLOAT_TEXT: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SIZE_TEXT: Final = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-z]*)")
_DECIMAL_TEXT: Final = re.compile(r"(\d*)(?:\.(\d*))?")
_UINT32_MAX: Final = 2**32 - 1
_UINT64_MAX: Final = 2**64 - 1


@lru_cache(maxsize=1024)  # pure, and the same values recur across files
def parse_cpu_millicores(text: str) -> int:
    """`500m` is 500 millicores; `0.5` or `1` are cores (truncated to whole millicores)."""
    text = text.strip()
    if text.endswith("m"):
        digits = text[:-1]
        if not digits.isdigit() or not digits.isascii():
            raise ValueError(f'invalid cpu units "{text}": "m" needs a whole number of millicores')
        value = int(digits)
    else:
        if not _FLOAT_TEXT.fullmatch(text):
            raise ValueError(f'invalid cpu units "{text}": expected a number like 0.5 or 500m')
        cores = float(text)
        if cores < 0:
            raise ValueError(f'invalid cpu units "{text}": negative value not allowed')
        if not math.isfinite(cores) or cores * 1000 > _UINT32_MAX:
            raise ValueError(f'invalid cpu units "{text}": value too large')
        value = int(cores * 1000)
    if value > _UINT32_MAX:
        raise ValueError(f'invalid cpu units "{text}": value too large')
    return value


@lru_cache(maxsize=1024)  # pure, and the same values recur across files
def parse_size(text: str, *, binary_only: bool = False) -> int:
    """A byte size: a plain number, or a number with one case-sensitive suffix (k Ki M Mi ...)."""
    text = text.strip()
    match = _SIZE_TEXT.fullmatch(text)
    suffixes = _BINARY_SUFFIXES if binary_only else _SIZE_SUFFIXES
    allowed = " ".join(suffixes)
    if match is None:
        raise ValueError(
            f'invalid size "{text}": expected a number with one of the suffixes {allowed}'
        )
    number, suffix = match.groups()
    if suffix and suffix not in suffixes:
        raise ValueError(f'invalid size "{text}": unknown suffix "{suffix}" (allowed: {allowed})')
    amount = float(number)
    if amount < 0:
        raise ValueError(f'invalid size "{text}": negative value not allowed')
    total = amount * suffixes.get(suffix, 1)
    if not math.isfinite(total) or total > _UINT64_MAX:
        raise ValueError(f'invalid size "{text}": value too large')
    return int(total)


@lru_cache(maxsize=1024)  # pure, and the same values recur across files
def parse_price_amount(text: str) -> int:
    """A decimal amount with at most 18 decimals, returned in 10^-18 units (no exponents)."""
    text = text.strip()
    match = _DECIMAL_TEXT.fullmatch(text)
    if match is None or not text or text == ".":
        raise ValueError(
            f'invalid price amount "{text}": expected a decimal number like 100 or 0.5'
        )
    whole, fraction = match.groups()
    if fraction is not None and fraction == "":
        raise ValueError(f'invalid price amount "{text}": no digits after the decimal point')
    fraction = fraction or ""
    if len(fraction) > 18:
        raise ValueError(f'invalid price amount "{text}": more than 18 decimal places')
    return int(whole or "0") * PRICE_SCALE + int(fraction.ljust(18, "0") or "0")


def format_price_amount(amount: int) -> str:
    """Cosmos Dec text: `1000.000000000000000000`."""
    whole, fraction = divmod(amount, PRICE_SCALE)
    return f"{whole}.{fraction:018d}"


def format_price_short(amount: int) -> str:
    """The shortest exact decimal text: `1000`, `0.0001`."""
    whole, fraction = divmod(amount, PRICE_SCALE)
    if fraction == 0:
        return str(whole)
    return f"{whole}.{fraction:018d}".rstrip("0")


_DURATION_UNITS: Final = {
    "ns": 1,
    "us": 10**3,
    "µs": 10**3,
    "μs": 10**3,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_PART: Final = re.compile(r"(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)")


def parse_duration_ns(text: str) -> int:
    """A Go duration (`30s`, `1h30m`, `1.5h`) in nanoseconds; raises on Go's syntax errors."""
    rest = text
    sign = 1
    if rest[:1] in "+-" and rest:
        sign = -1 if rest[0] == "-" else 1
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise ValueError(f'invalid duration "{text}"')
    total = 0
    while rest:
        match = _DURATION_PART.match(rest)
        if match is None or (not match.group(1) and not match.group(2)):
            raise ValueError(f'invalid duration "{text}"')
        whole, fraction, unit = match.groups()
        scale = _DURATION_UNITS[unit]
        total += int(whole or "0") * scale
        if fraction:
            total += int(fraction) * scale // 10 ** len(fraction)
        rest = rest[match.end() :]
    return sign * total


_VERSION: Final = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")


@lru_cache(maxsize=1024)  # pure, and the same values recur across files
def parse_sdl_version(text: str) -> tuple[int, int, int, bool]:
    """Tolerant semantic version (`2`, `2.0`, `v2.1`): (major, minor, patch, is_prerelease)."""
    cleaned = text.strip()
    cleaned = cleaned.removeprefix("v")
    parts = cleaned.split(".", 2)
    parts = [_strip_leading_zeros(part) for part in parts]
    if len(parts) < 3:
        if any(ch in parts[-1] for ch in "+-"):
            raise ValueError(f'invalid version "{text}"')
        parts += ["0"] * (3 - len(parts))
    match = _VERSION.fullmatch(".".join(parts))
    if match is None:
        raise ValueError(f'invalid version "{text}"')
    major, minor, patch, pre = match.groups()
    return int(major), int(minor), int(patch), pre is not None


def _strip_leading_zeros(part: str) -> str:
    if len(part) <= 1:
        return part
    stripped = part.lstrip("0")
    if not stripped or not stripped[0].isdigit():
        stripped = "0" + stripped
    return stripped


def format_size(size: int, *, binary_only: bool = False) -> str:
    """The shortest exact text for a byte size (`512Mi`, `1G`, `1234`)."""
    suffixes = _BINARY_SUFFIXES if binary_only else _SIZE_SUFFIXES
    best = str(size)
    if size == 0:
        return best
    for suffix, scale in suffixes.items():
        if size % scale == 0:
            candidate = f"{size // scale}{suffix}"
            if len(candidate) <= len(best):
                best = candidate
    return best
