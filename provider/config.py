"""The provider's configuration, PDIR/provider.yaml: read once at start, checked whole.

Every problem is a ConfigError naming the field (`pricing.gpu.default: ...`), so an
operator fixes the file without reading code. Prices are decimals of ugpc per block, held
as 18-decimal integers (chain.coins) so the bid engine's arithmetic is exact.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chain.attributes import validate_attributes
from chain.client_config import default_home
from chain.coins import DecPrice, parse_dec
from chain.errors import INVALID_REQUEST, AppError
from chain.keyring import BACKENDS, KeyringError, validate_name
from chain.pb.gpuchain.provider.v1 import provider_pb2

CONFIG_FILE = "provider.yaml"
CERT_FILE = "gateway.crt"
KEY_FILE = "gateway.key"
GPU_FALLBACK = "default"  # the pricing.gpu entry for models not listed
_LISTEN_PATTERN = re.compile(r"^(?P<host>[^\s:]*|\[[0-9a-fA-F:]+\]):(?P<port>[0-9]{1,5})$")
_FIELDS = (
    "key",
    "keyring_backend",
    "keyring_home",
    "nodes",
    "chain_id",
    "gas_price",
    "pricing",
    "attributes",
    "docker_host",
    "gateway_listen",
    "report_interval_blocks",
    "withdraw_interval_blocks",
    "data_dir",
    "manifest_timeout_seconds",
    "metrics_listen",
)
_PRICING_FIELDS = ("denom", "cpu_milli", "memory_gib", "storage_gib", "gpu")


class ConfigError(Exception):
    """provider.yaml is missing, not YAML, or a field is wrong; the message names the field."""


@dataclass(frozen=True)
class Pricing:
    """Per-block prices as 18-decimal integers of `denom`."""

    denom: str
    cpu_milli: int
    memory_gib: int
    storage_gib: int
    gpu: dict[str, int]  # lower-case model name → price per GPU; GPU_FALLBACK for the rest

    def gpu_price(self, model: str) -> int:
        return self.gpu.get(model.lower(), self.gpu[GPU_FALLBACK])


@dataclass(frozen=True)
class ProviderConfig:
    home: Path
    key: str
    keyring_backend: str
    keyring_home: Path
    nodes: tuple[str, ...]
    chain_id: str
    gas_price: DecPrice
    pricing: Pricing
    attributes: dict[str, str]
    docker_host: str
    gateway_listen: str
    report_interval_blocks: int
    withdraw_interval_blocks: int
    data_dir: Path
    manifest_timeout_seconds: int
    metrics_listen: str  # "" when off

    @property
    def cert_path(self) -> Path:
        return self.home / CERT_FILE

    @property
    def key_path(self) -> Path:
        return self.home / KEY_FILE


def load(home: Path) -> ProviderConfig:
    """The checked configuration in home/provider.yaml; raises ConfigError naming the field."""
    path = home / CONFIG_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist: run `gpuchain-provider init --home {home} --from KEY`"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    return parse(data, home)


def parse(data: Any, home: Path) -> ProviderConfig:
    """Check a parsed provider.yaml; relative paths are relative to home."""
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_FILE}: expected a mapping of fields, got {_kind(data)}")
    _no_unknown(data, _FIELDS, "")
    key = _string(data, "key")
    try:
        validate_name(key)
    except KeyringError as error:
        raise ConfigError(f"key: {error}") from None
    backend = _string(data, "keyring_backend", "file")
    if backend not in BACKENDS:
        raise ConfigError(f"keyring_backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    return ProviderConfig(
        home=home,
        key=key,
        keyring_backend=backend,
        keyring_home=_path(home, _string(data, "keyring_home", str(default_home()))),
        nodes=_nodes(data.get("nodes")),
        chain_id=_string(data, "chain_id"),
        gas_price=_gas_price(_string(data, "gas_price", "0.001ugpc")),
        pricing=_pricing(data.get("pricing")),
        attributes=_attributes(data.get("attributes")),
        docker_host=_docker_host(_string(data, "docker_host", "unix:///var/run/docker.sock")),
        gateway_listen=_listen(_string(data, "gateway_listen", "0.0.0.0:8443")),
        report_interval_blocks=_positive(data, "report_interval_blocks", 100),
        withdraw_interval_blocks=_positive(data, "withdraw_interval_blocks", 600),
        data_dir=_path(home, _string(data, "data_dir", "data")),
        manifest_timeout_seconds=_positive(data, "manifest_timeout_seconds", 300),
        metrics_listen=_metrics_listen(data.get("metrics_listen", "")),
    )


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _no_unknown(data: dict[Any, Any], known: tuple[str, ...], prefix: str) -> None:
    for name in data:
        if name not in known:
            raise ConfigError(f"{prefix}{name}: unknown field; expected one of {', '.join(known)}")


def _string(data: dict[str, Any], name: str, default: str | None = None) -> str:
    value = data.get(name, default)
    if value is None:
        raise ConfigError(f"{name}: missing")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name}: expected a non-empty string, got {value!r}")
    return value.strip()


def _positive(data: dict[str, Any], name: str, default: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{name}: expected a positive whole number, got {value!r}")
    return value


def _path(home: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else home / path


def _nodes(value: Any) -> tuple[str, ...]:
    """One or more CometBFT RPC URLs, tried in order (failover)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError("nodes: expected a list of one or more RPC URLs, e.g. tcp://host:26657")
    nodes = []
    for index, node in enumerate(value):
        if not isinstance(node, str):
            raise ConfigError(f"nodes[{index}]: expected a URL, got {node!r}")
        parsed = urllib.parse.urlsplit(node if "://" in node else f"tcp://{node}")
        try:
            port = parsed.port
        except ValueError:
            port = None
        if parsed.scheme not in ("tcp", "http", "https") or not parsed.hostname or port is None:
            raise ConfigError(
                f"nodes[{index}]: {node!r} is not an RPC URL like tcp://127.0.0.1:26657"
            )
        nodes.append(node)
    if len(set(nodes)) != len(nodes):
        raise ConfigError("nodes: a URL is listed twice")
    return tuple(nodes)


def _gas_price(text: str) -> DecPrice:
    try:
        return DecPrice.parse(text)
    except AppError as error:
        raise ConfigError(f"gas_price: {error.detail}") from None


def _price(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(f'{field}: expected a decimal price like "0.5", got {value!r}')
    try:
        return parse_dec(str(value), field, INVALID_REQUEST, example="0.5")
    except AppError as error:
        raise ConfigError(f"{field}: {error.detail}") from None


def _pricing(value: Any) -> Pricing:
    if not isinstance(value, dict):
        raise ConfigError(f"pricing: expected a mapping, got {_kind(value)}")
    _no_unknown(value, _PRICING_FIELDS, "pricing.")
    denom = value.get("denom", "ugpc")
    if denom != "ugpc":
        raise ConfigError(f"pricing.denom: orders are priced in ugpc, got {denom!r}")
    gpu = value.get("gpu")
    if not isinstance(gpu, dict):
        raise ConfigError(
            f"pricing.gpu: expected a mapping of GPU model to price with a {GPU_FALLBACK!r} "
            f"entry, got {_kind(gpu)}"
        )
    if GPU_FALLBACK not in gpu:
        raise ConfigError(f"pricing.gpu.{GPU_FALLBACK}: missing (the price of unlisted models)")
    gpu_prices = {}
    for model, price in gpu.items():
        if not isinstance(model, str) or not model:
            raise ConfigError(f"pricing.gpu: model {model!r} is not a name")
        gpu_prices[model.lower()] = _price(price, f"pricing.gpu.{model}")
    return Pricing(
        denom=denom,
        cpu_milli=_price(value.get("cpu_milli"), "pricing.cpu_milli"),
        memory_gib=_price(value.get("memory_gib"), "pricing.memory_gib"),
        storage_gib=_price(value.get("storage_gib"), "pricing.storage_gib"),
        gpu=gpu_prices,
    )


def _attributes(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"attributes: expected a mapping of key to value, got {_kind(value)}")
    attributes = {str(key): str(item) for key, item in value.items()}
    pairs = [provider_pb2.Attribute(key=key, value=item) for key, item in attributes.items()]
    try:
        validate_attributes(pairs, "attributes", INVALID_REQUEST)
    except AppError as error:
        raise ConfigError(error.detail) from None
    return attributes


def _docker_host(value: str) -> str:
    if not value.startswith(("unix://", "tcp://", "ssh://", "npipe://")):
        raise ConfigError(
            f"docker_host: {value!r} is not a Docker address like unix:///var/run/docker.sock"
        )
    return value


def _listen(value: str, field: str = "gateway_listen") -> str:
    match = _LISTEN_PATTERN.match(value)
    if not match or not 0 < int(match.group("port")) < 65536:
        raise ConfigError(f"{field}: {value!r} is not HOST:PORT, e.g. 0.0.0.0:8443")
    return value


def _metrics_listen(value: Any) -> str:
    if value in ("", None):
        return ""
    if not isinstance(value, str):
        raise ConfigError(f'metrics_listen: expected HOST:PORT or "", got {value!r}')
    return _listen(value, "metrics_listen")


def render(
    key: str,
    nodes: list[str],
    chain_id: str,
    keyring_backend: str,
    keyring_home: Path,
) -> str:
    """A commented provider.yaml with sensible defaults for the fields init does not ask."""
    node_lines = "\n".join(f"  - {node}" for node in nodes)
    return f"""\
# gpuchain provider daemon configuration (docs/provider-guide.md).
# `gpuchain-provider start --home DIR` reads this file; an error names the field.

# Keyring key that signs bids, usage reports and withdrawals (the provider's account),
# from the same keyring as `gpuchain`: --keyring-backend (file|test) and its home.
key: {key}
keyring_backend: {keyring_backend}
keyring_home: {keyring_home}

# CometBFT RPC addresses, tried in order; the daemon fails over to the next one.
nodes:
{node_lines}
chain_id: {chain_id}
# Fee per unit of gas; at least the nodes' minimum-gas-prices.
gas_price: 0.001ugpc

# Per-block prices in ugpc (decimals allowed). A bid is the sum over the order's resources:
# cpu_milli per CPU millicore, memory_gib / storage_gib per GiB, and per GPU by model
# (lower-case name, e.g. a100, h100), `default` for models not listed. The daemon bids
# only when this sum is at most the order's max price.
pricing:
  denom: ugpc
  cpu_milli: "0.01"
  memory_gib: "1"
  storage_gib: "0.1"
  gpu:
    default: "100"

# Attributes the provider declares (also in its on-chain record); orders that require
# an attribute this map lacks are skipped with the reason "missing attribute".
attributes: {{}}

# Docker engine that runs the leased workloads.
docker_host: unix:///var/run/docker.sock

# HTTPS address tenants send manifests to (certificate: gateway.crt / gateway.key here).
gateway_listen: 0.0.0.0:8443

# Every N blocks: send MsgReportUsage for each lease, and MsgWithdrawLease.
report_interval_blocks: 100
withdraw_interval_blocks: 600

# The daemon's SQLite state (processed height, decisions, reservations, pending txs);
# relative to this directory.
data_dir: data

# A won lease whose manifest has not arrived after this many seconds is closed.
manifest_timeout_seconds: 300

# Prometheus metrics (bids, wins, losses, skips by reason) on HOST:PORT; "" for none.
metrics_listen: 127.0.0.1:9465
"""
