"""`HOME/config/client.toml`: the settings a client would otherwise repeat on every command.

As in the Cosmos SDK, a flag on the command line wins over the file, and the file wins over
the built-in default. `gpuchain config get|set client KEY [VALUE]` reads and writes it;
`gpuchain testnet` (and so `make localnet`) writes one in every home it makes, naming that
home's node, chain id and test keyring, so commands there need only `--home`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ClientConfigError(Exception):
    """client.toml cannot be read, or a key or value is not one it takes."""


HOME_ENV = "GPUCHAIN_HOME"
CLIENT_CONFIG = "client.toml"
GAS_AUTO = "auto"
OUTPUTS = ("text", "json", "yaml")
KEYRING_BACKENDS = ("file", "test")
# "commit" is kept as another name for "block": it was this CLI's name for waiting.
BROADCAST_MODES = ("sync", "async", "block", "commit")


def default_home() -> Path:
    """$GPUCHAIN_HOME, as Cosmos apps read <APP>_HOME, else ~/.gpuchain."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".gpuchain")


def client_config_path(home: Path) -> Path:
    return home / "config" / CLIENT_CONFIG


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return check


def _text(value: str) -> str:
    return value


def parse_uint(text: str, maximum: int = 2**64 - 1) -> int:
    """An integer that fits the wire field it fills (uint64 unless said otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an integer") from None
    if value < 0:
        raise ValueError(f"{value} is negative")
    if value > maximum:
        raise ValueError(f"{value} is above the largest allowed, {maximum}")
    return value


def parse_gas(text: str) -> int | str:
    """A positive gas limit that fits the tx's int64 field, or "auto"."""
    from chain.tx import MAX_GAS_LIMIT

    if text == GAS_AUTO:
        return GAS_AUTO
    value = parse_uint(text, MAX_GAS_LIMIT)
    if value == 0:
        raise ValueError("must be positive, or auto")
    return value


def parse_gas_adjustment(text: str) -> int:
    """An 18-decimal integer of at least 1: gas is estimated with integer math."""
    from chain.coins import DEC_ONE, parse_dec
    from chain.errors import INVALID_REQUEST, AppError

    try:
        value = parse_dec(text, "--gas-adjustment", INVALID_REQUEST, example="1.3")
    except AppError as error:
        raise ValueError(error.detail) from None
    if value < DEC_ONE:
        raise ValueError(f"{text} is below 1: the tx would run out of gas")
    return value


def parse_gas_prices(text: str) -> str:
    """A price per unit of gas such as 0.001ugpc (or nothing)."""
    from chain.coins import DecPrice
    from chain.errors import AppError

    if text:
        try:
            DecPrice.parse(text)
        except AppError as error:
            raise ValueError(error.detail) from None
    return text


@dataclass(frozen=True)
class ClientSetting:
    """One key of client.toml: the flag it stands in for, its default and its check."""

    key: str
    flag: str
    default: str
    parse: Callable[[str], Any]
    help: str

    @property
    def attribute(self) -> str:
        """The argparse attribute of the flag it is the default of."""
        return self.flag.removeprefix("--").replace("-", "_")


SETTINGS = (
    ClientSetting("chain-id", "--chain-id", "", _text, "the chain to sign for (empty: the node's)"),
    ClientSetting(
        "keyring-backend",
        "--keyring-backend",
        "file",
        _choice(KEYRING_BACKENDS),
        "where keys are kept: file (encrypted) or test",
    ),
    ClientSetting("node", "--node", "tcp://127.0.0.1:26657", _text, "CometBFT RPC address"),
    ClientSetting(
        "output", "--output", "text", _choice(OUTPUTS), "how results print: text, json or yaml"
    ),
    ClientSetting(
        "broadcast-mode",
        "--broadcast-mode",
        "block",
        _choice(BROADCAST_MODES),
        "sync, async, or block (wait for the block)",
    ),
    ClientSetting(
        "gas", "--gas", GAS_AUTO, parse_gas, "gas limit, or auto: simulate each tx first"
    ),
    ClientSetting(
        "gas-adjustment",
        "--gas-adjustment",
        "1.3",
        parse_gas_adjustment,
        "with gas auto, the simulated gas times this",
    ),
    ClientSetting(
        "gas-prices",
        "--gas-prices",
        "",
        parse_gas_prices,
        "fee per unit of gas, e.g. 0.001ugpc (--fees wins)",
    ),
)
SETTING_BY_KEY = {setting.key: setting for setting in SETTINGS}


def setting(key: str) -> ClientSetting:
    """The setting named key; ClientConfigError naming the valid keys for any other."""
    if key not in SETTING_BY_KEY:
        raise ClientConfigError(
            f"unknown client.toml key {key!r}: valid keys are {', '.join(SETTING_BY_KEY)}"
        )
    return SETTING_BY_KEY[key]


def load_client_config(home: Path) -> dict[str, str]:
    """Every key client.toml in home sets (checked); {} when there is no file."""
    path = client_config_path(home)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ClientConfigError(f"{path} cannot be read: {error}") from None
    values = {}
    for key, value in data.items():
        try:
            setting(key).parse(str(value))
            values[key] = str(value)
        except ClientConfigError as error:
            raise ClientConfigError(f"{path}: {error}") from None
        except ValueError as error:
            raise ClientConfigError(f"{path}: {key}: {error}") from None
    return values


def write_client_config(home: Path, values: dict[str, str]) -> Path:
    """Write client.toml in home: values over what the file held; a key set by neither is
    listed commented out with its default, so the file documents every setting."""
    merged = {**load_client_config(home), **values}
    path = client_config_path(home)
    lines = [
        "# gpuchain client settings; a flag on the command line wins over this file.",
        "# `gpuchain config set client KEY VALUE` edits it.",
    ]
    for item in SETTINGS:
        value = merged.get(item.key, item.default)
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        unset = "" if item.key in merged else "# "
        lines.append(f'\n# {item.help}\n{unset}{item.key} = "{escaped}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def set_client_value(home: Path, key: str, value: str) -> Path:
    """Check value for key and store it; ClientConfigError saying what is wrong."""
    try:
        setting(key).parse(value)
    except ValueError as error:
        raise ClientConfigError(f"client.toml {key}: {error}") from None
    return write_client_config(home, {key: value})
