"""Node home layout and configuration files.

`HOME/config/` holds CometBFT's `config.toml`, `genesis.json` and keys, plus our
`app.toml`; `HOME/data/` holds CometBFT's data and our `application.db` (LevelDB).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain.coins import DecPrice
from chain.crypto import PrivateKey

REPO_TOOLS = Path(__file__).resolve().parent.parent / ".tools" / "bin"


class ConfigError(Exception):
    """A configuration file is missing or holds a value the node cannot use."""


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def comet_config(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def app_config(self) -> Path:
        return self.config_dir / "app.toml"

    @property
    def genesis(self) -> Path:
        return self.config_dir / "genesis.json"

    @property
    def app_db(self) -> Path:
        return self.root / "data" / "application.db"

    @property
    def comet_log(self) -> Path:
        return self.root / "cometbft.log"

    @property
    def abci_socket(self) -> Path:
        return self.root / "abci.sock"

    def rpc_address(self) -> str:
        """Where this home's CometBFT serves RPC (config.toml `[rpc] laddr`)."""
        try:
            comet = tomllib.loads(self.comet_config.read_text(encoding="utf-8"))
            return str(comet["rpc"]["laddr"])
        except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"{self.comet_config}: no [rpc] laddr ({error})") from None

    def mempool_size(self) -> int:
        """How many txs this home's CometBFT mempool holds (config.toml `[mempool] size`;
        CometBFT's default 5,000 when unset). The app sizes its caches of checked txs by it."""
        try:
            comet = tomllib.loads(self.comet_config.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"{self.comet_config}: unreadable ({error})") from None
        size = comet.get("mempool", {}).get("size", COMETBFT_DEFAULT_MEMPOOL_SIZE)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ConfigError(f"{self.comet_config}: [mempool] size {size!r} is not a count")
        return size


@dataclass(frozen=True)
class NodeConfig:
    """Our app.toml: node-local settings, free to differ between validators."""

    minimum_gas_prices: str = "0.001ugpc"
    abci_address: str = ""
    grpc_address: str = "127.0.0.1:9090"
    metrics_address: str = "127.0.0.1:26660"
    invariant_check_period: int = 0
    api_enable: bool = True
    api_address: str = "127.0.0.1:1317"
    # Which event attributes CometBFT's tx indexer indexes, as `type.key` (Cosmos's
    # index-events): empty indexes every one. None: not chosen, so `init` writes
    # gpuchain's default list (chain.wiring.DEFAULT_INDEX_EVENTS).
    index_events: tuple[str, ...] | None = None

    def min_gas_price(self) -> DecPrice | None:
        return DecPrice.parse(self.minimum_gas_prices) if self.minimum_gas_prices else None

    def to_toml(self) -> str:
        return (
            "# gpuchain node settings (node-local; validators may differ here).\n"
            "# Smallest fee per unit of gas this node admits to its mempool.\n"
            f'minimum-gas-prices = "{self.minimum_gas_prices}"\n'
            "# Where the ABCI server listens; empty means unix://HOME/abci.sock. ABCI has no\n"
            "# authentication: a TCP address off loopback needs `start --abci-allow-remote`.\n"
            f'abci-address = "{self.abci_address}"\n'
            "# gRPC query server (cosmos.bank.v1beta1.Query, ...); empty disables it.\n"
            f'grpc-address = "{self.grpc_address}"\n'
            "# Prometheus /metrics endpoint; empty disables it.\n"
            f'metrics-address = "{self.metrics_address}"\n'
            "# Check every invariant each N blocks and halt if one breaks (0 = never).\n"
            f"invariant-check-period = {self.invariant_check_period}\n"
            "# Event attributes the tx indexer indexes, as type.key; empty indexes them all.\n"
            "# tx.hash and tx.height are always indexed. Every indexed attribute costs the\n"
            "# node CPU and disk per tx; `query txs --events` finds txs only by these.\n"
            f"index-events = {_toml_list(self.index_events or ())}\n"
            "\n"
            "# The REST API (Cosmos's API server): the gRPC queries at their HTTP paths.\n"
            "[api]\n"
            f"enable = {'true' if self.api_enable else 'false'}\n"
            f'address = "{self.api_address}"\n'
        )

    @classmethod
    def load(cls, path: Path) -> NodeConfig:
        if not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: {error}") from None
        defaults = cls()
        api = data.get("api", {})
        if not isinstance(api, dict):
            raise ConfigError(f"{path}: [api] must be a table")
        config = cls(
            minimum_gas_prices=str(data.get("minimum-gas-prices", defaults.minimum_gas_prices)),
            abci_address=str(data.get("abci-address", defaults.abci_address)),
            grpc_address=str(data.get("grpc-address", defaults.grpc_address)),
            metrics_address=str(data.get("metrics-address", defaults.metrics_address)),
            invariant_check_period=int(
                data.get("invariant-check-period", defaults.invariant_check_period)
            ),
            api_enable=bool(api.get("enable", defaults.api_enable)),
            api_address=str(api.get("address", defaults.api_address)),
            # Absent (an app.toml from before the setting) means empty: index everything.
            index_events=_index_events(path, data.get("index-events", [])),
        )
        try:
            config.min_gas_price()
        except Exception as error:
            raise ConfigError(f"{path}: minimum-gas-prices: {error}") from None
        return config


def _index_events(path: Path, value: Any) -> tuple[str, ...]:
    """app.toml's index-events: a list of `type.key` strings. Raises ConfigError."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{path}: index-events must be a list of "type.key" strings')
    for item in value:
        event_type, _, key = item.partition(".")
        if not event_type or not key:
            raise ConfigError(
                f"{path}: index-events entry {item!r} is not type.key (e.g. message.sender)"
            )
    return tuple(value)


def _toml_list(items: tuple[str, ...]) -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"  {_toml_value(item)},\n" for item in items) + "]"


def make_private_dir(path: Path) -> None:
    """Create path and any missing parents as 0700, as CometBFT creates a home.

    Keys and consensus state live below a home, so whichever command creates it first
    (`init`, `keys add`, `testnet`) leaves it readable by its owner alone. A directory
    that already exists keeps its mode: the operator chose it.
    """
    missing = [directory for directory in (path, *path.parents) if not directory.exists()]
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(directory, 0o700)  # mkdir's mode is filtered by the umask


def set_toml_values(path: Path, values: dict[tuple[str, str], Any]) -> None:
    """Rewrite `key = value` lines of CometBFT's config.toml in place, keeping its comments.

    values maps (section, key) to a Python value; section "" is the top level.
    """
    lines = path.read_text().splitlines()
    section = ""
    pending = dict(values)
    for index, line in enumerate(lines):
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            section = header.group(1)
            continue
        assignment = re.match(r"^([A-Za-z0-9_\-]+)\s*=", line)
        if assignment and (section, assignment.group(1)) in pending:
            value = pending.pop((section, assignment.group(1)))
            lines[index] = f"{assignment.group(1)} = {_toml_value(value)}"
    if pending:
        missing = ", ".join(f"[{s}] {k}" for s, k in pending)
        raise ConfigError(f"{path} has no setting {missing}")
    path.write_text("\n".join(lines) + "\n")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def cometbft_binary() -> str:
    """The pinned CometBFT that `make setup` installed, else one on PATH."""
    local = REPO_TOOLS / "cometbft"
    if local.exists():
        return str(local)
    found = shutil.which("cometbft")
    if found is None:
        raise ConfigError("cometbft not found: run `make setup` (it installs the pinned version)")
    return found


COMETBFT_DEFAULT_MEMPOOL_SIZE = 5_000


def cometbft_environment() -> dict[str, str]:
    """The environment CometBFT runs in: ours, with GOMAXPROCS at twice the cores (at least
    4) unless the operator set it.

    Why: CometBFT v0.38's socket ABCI client arms its flush timer with `flushThrottleMS`
    (20) as a `time.Duration`, i.e. 20 ns, so while its sender goroutine is busy the timer
    fires again and again; with Go's default of one processor per core those timer
    goroutines hold the processors that the goroutines moving CheckTx requests and answers
    wait for. Measured on 2 cores (bench/throughput.py, signed sends committed per second):
    ~1,980 at 2, 2,197 at 3, 2,324 at 4, 2,309 at 8, CometBFT's own CPU lower, not higher.
    """
    environment = dict(os.environ)
    environment.setdefault("GOMAXPROCS", str(max(4, 2 * (os.cpu_count() or 1))))
    return environment


def consensus_key(home: Home) -> PrivateKey:
    """The node's CometBFT validator key (priv_validator_key.json holds seed ‖ public key)."""
    data = json.loads((home.config_dir / "priv_validator_key.json").read_text())
    return PrivateKey(base64.b64decode(data["priv_key"]["value"])[:32])
