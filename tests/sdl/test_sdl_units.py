"""CPU, size, price, duration and version syntax, as Akash reads them."""

from __future__ import annotations

import pytest

from sdl.parse import _yaml_number
from sdl.units import (
    format_price_amount,
    format_size,
    parse_cpu_millicores,
    parse_duration_ns,
    parse_price_amount,
    parse_sdl_version,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "millicores"),
    [
        ("1", 1000),
        ("0.5", 500),
        ("0.1", 100),
        ("500m", 500),
        ("100m", 100),
        ("2.5", 2500),
        ("1.003", 1002),
        ("384", 384000),
        ("1e1", 10000),
    ],
)
def test_cpu_units(text: str, millicores: int) -> None:
    # 1.003 gives 1002 because Akash multiplies the float64 by 1000 and truncates.
    assert parse_cpu_millicores(text) == millicores


@pytest.mark.parametrize("text", ["0.5m", "-100m", "-1", "abc", "", "1 core", "m"])
def test_cpu_units_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_cpu_millicores(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1024", 1024),
        ("1k", 1000),
        ("1Ki", 1024),
        ("512Mi", 512 * 2**20),
        ("1G", 10**9),
        ("1.5Gi", 3 * 2**29),
        ("0.5M", 500_000),
        ("2Ti", 2 * 2**40),
        ("1E", 10**18),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["1K", "1gi", "1Gb", "1GB", "1mi", "1ti", "-1Gi", "Gi", "1 Gi"])
def test_sizes_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_gpu_ram_accepts_binary_suffixes_only() -> None:
    assert parse_size("80Gi", binary_only=True) == 80 * 2**30
    with pytest.raises(ValueError):
        parse_size("80G", binary_only=True)


@pytest.mark.parametrize("size", [0, 1, 1000, 1024, 5 * 2**20, 10**9, 3 * 2**29, 7 * 10**12 + 1])
def test_format_size_round_trips(size: int) -> None:
    assert parse_size(format_size(size)) == size


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("100", 100 * 10**18),
        ("0.0001", 10**14),
        (".5", 5 * 10**17),
        ("0.000000000000000001", 1),
        ("10000000", 10**25),
    ],
)
def test_price_amounts_are_exact(text: str, amount: int) -> None:
    assert parse_price_amount(text) == amount


@pytest.mark.parametrize("text", ["1e-7", "-1", "1.", "", ".", "1.0000000000000000001", "ten"])
def test_price_amounts_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_price_amount(text)


def test_price_text_has_18_decimals() -> None:
    assert format_price_amount(1000 * 10**18) == "1000.000000000000000000"
    assert format_price_amount(10**14) == "0.000100000000000000"


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("1h", 3600 * 10**9),
        ("1h30m", 5400 * 10**9),
        ("1.5h", 5400 * 10**9),
        ("30s", 30 * 10**9),
        ("0", 0),
        ("250ms", 250 * 10**6),
    ],
)
def test_durations(text: str, nanoseconds: int) -> None:
    assert parse_duration_ns(text) == nanoseconds


@pytest.mark.parametrize("text", ["abc", "", "1", "1d", "h"])
def test_durations_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration_ns(text)


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("2.0", (2, 0, 0, False)),
        ("2", (2, 0, 0, False)),
        ("v2.1", (2, 1, 0, False)),
        ("3.0", (3, 0, 0, False)),
        ("2.1.0-rc1", (2, 1, 0, True)),
    ],
)
def test_versions(text: str, version: tuple[int, int, int, bool]) -> None:
    assert parse_sdl_version(text) == version


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("80", 80),
        ("0x50", 80),
        ("0o120", 80),
        ("0120", 80),
        ("1_000", 1000),
        ("80.9", 80),
        ("08", 8),
        ("1e3", 1000),
        ("-1", -1),
        ("abc", None),
        (".inf", None),
        ("1e400", 65536),
    ],
)
def test_integer_fields_read_numbers_like_yaml_v3(text: str, value: int | None) -> None:
    assert _yaml_number(text, 65535) == value
