"""The localnet's two providers: `gpuchain-provider` daemons on a local Docker engine.

Each provider has a home localnet/.data/providerN made the way an operator makes one
(docs/provider-guide.md): `gpuchain-provider init`, the `gpuchain tx provider create` it
prints (the gateway certificate's fingerprint goes on chain), then provider.yaml edited for
this machine (the Docker engine provider/engine.py found or started, the gateway port, its
prices and attributes). The two differ in price and attributes so matching has a choice.
Their keys (`provider1`, `provider2`) are funded test keys in validator0's keyring, and the
daemon logs to HOME/daemon.log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from chain.keyring import Keyring
from provider import config as provider_config
from provider.engine import docker_engine, engine_url, httpd_image
from provider.runtime import Runtime

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_GATEWAY_BASE_PORT = 8443
COLLATERAL = "1000000ugpc"
# The daemon reports usage and withdraws often so a demo sees both within a minute; the
# chain's report deadline (market.report_interval_blocks, 20) leaves room for a restart.
REPORT_INTERVAL_BLOCKS = 5
WITHDRAW_INTERVAL_BLOCKS = 10
MANIFEST_TIMEOUT_SECONDS = 120


class ProviderSetupError(Exception):
    """A provider could not be made, registered or started; the message says why."""


@dataclass(frozen=True)
class ProviderPlan:
    """What a localnet provider offers: its prices (ugpc per block) and attributes."""

    name: str
    attributes: tuple[tuple[str, str], ...]
    cpu_milli: str
    memory_gib: str
    storage_gib: str
    gpu_default: str


# provider2 is the cheaper one: on a CPU order it wins matching's lowest-price rule.
PLANS = (
    ProviderPlan(
        "provider1", (("region", "eu-west"), ("tier", "premium")), "4", "200", "10", "5000"
    ),
    ProviderPlan(
        "provider2", (("region", "us-east"), ("tier", "community")), "2", "100", "5", "3000"
    ),
)


@dataclass(frozen=True)
class LocalProvider:
    """One provider of the localnet: its home, gateway port and key (in key_home's keyring)."""

    plan: ProviderPlan
    home: Path
    gateway_port: int
    key_home: Path

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def log(self) -> Path:
        return self.home / "daemon.log"

    @property
    def gateway_url(self) -> str:
        return f"https://127.0.0.1:{self.gateway_port}"

    @property
    def configured(self) -> bool:
        return (self.home / provider_config.CONFIG_FILE).exists()


def providers(
    data: Path, key_home: Path, count: int, gateway_base_port: int
) -> list[LocalProvider]:
    """The first count providers of PLANS, provider i's gateway on gateway_base_port + i."""
    return [
        LocalProvider(plan, data / plan.name, gateway_base_port + index, key_home)
        for index, plan in enumerate(PLANS[:count])
    ]


def prepare_engine() -> str:
    """Find or start the Docker engine and import the demo image; its address."""
    client, reason = docker_engine()
    if client is None:
        raise ProviderSetupError(f"no Docker engine for the providers: {reason}")
    image, reason = httpd_image(client)
    if image is None:
        raise ProviderSetupError(f"the demo image could not be imported: {reason}")
    return engine_url()


def _run(what: str, argv: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *argv],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise ProviderSetupError(f"{what} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def configure(provider: LocalProvider, node: str, docker_host: str) -> None:
    """init, register on chain and write provider.yaml; a failure leaves no home behind,
    so the next `make localnet` tries again."""
    try:
        _configure(provider, node, docker_host)
    except (ProviderSetupError, OSError, subprocess.TimeoutExpired):
        shutil.rmtree(provider.home, ignore_errors=True)
        raise


def _configure(provider: LocalProvider, node: str, docker_host: str) -> None:
    home = provider.home
    _run(
        f"gpuchain-provider init for {provider.name}",
        ["provider.cli", "init", "--home", str(home), "--from", provider.name, "--node", node,
         "--keyring-backend", "test", "--keyring-home", str(provider.key_home),
         "--host-uri", provider.gateway_url],
    )  # fmt: skip
    record_path = home / "provider-record.yaml"
    record = yaml.safe_load(record_path.read_text())
    record["attributes"] = [{"key": k, "value": v} for k, v in provider.plan.attributes]
    record["info"] = {"email": f"ops@{provider.name}.local", "website": ""}
    record_path.write_text(yaml.safe_dump(record, sort_keys=False))
    _run(
        f"registering {provider.name} on chain",
        ["chain.cli.main", "tx", "provider", "create", str(record_path),
         "--collateral", COLLATERAL, "--cert", str(home / provider_config.CERT_FILE),
         "--from", provider.name, "--home", str(provider.key_home), "--yes"],
    )  # fmt: skip
    configuration = home / provider_config.CONFIG_FILE
    settings = yaml.safe_load(configuration.read_text())
    plan = provider.plan
    settings.update(
        docker_host=docker_host,
        gateway_listen=f"127.0.0.1:{provider.gateway_port}",
        attributes=dict(plan.attributes),
        pricing={"denom": "ugpc", "cpu_milli": plan.cpu_milli, "memory_gib": plan.memory_gib,
                 "storage_gib": plan.storage_gib, "gpu": {"default": plan.gpu_default}},
        report_interval_blocks=REPORT_INTERVAL_BLOCKS,
        withdraw_interval_blocks=WITHDRAW_INTERVAL_BLOCKS,
        manifest_timeout_seconds=MANIFEST_TIMEOUT_SECONDS,
        metrics_listen="",
    )  # fmt: skip
    configuration.write_text(yaml.safe_dump(settings, sort_keys=False))
    provider_config.load(home)  # the edited file must still be valid


def spawn(provider: LocalProvider) -> subprocess.Popen[bytes]:
    """`gpuchain-provider start` detached from this shell (its own session), logging to
    HOME/daemon.log."""
    with open(provider.log, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "provider.cli", "start", "--home", str(provider.home)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPOSITORY,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def ready(provider: LocalProvider, since: int) -> bool:
    """Whether the daemon logged "ready" after byte offset since of its log."""
    try:
        with open(provider.log, "rb") as log:
            log.seek(since)
            return b" ready at height " in log.read()
    except OSError:
        return False


def log_size(provider: LocalProvider) -> int:
    try:
        return provider.log.stat().st_size
    except OSError:
        return 0


def on_disk(data: Path, key_home: Path) -> list[LocalProvider]:
    """The providers whose homes exist in data, with the gateway port their configs name."""
    found = []
    for plan in PLANS:
        home = data / plan.name
        if not (home / provider_config.CONFIG_FILE).exists():
            continue
        try:
            listen = provider_config.load(home).gateway_listen
        except provider_config.ConfigError as error:
            raise ProviderSetupError(f"{home} is broken ({error})") from None
        found.append(LocalProvider(plan, home, int(listen.rsplit(":", 1)[1]), key_home))
    return found


def remove_containers(found: list[LocalProvider]) -> int:
    """Remove the containers of every lease these providers run (a chain being deleted
    leaves them no one to close them); how many."""
    if not found:
        return 0
    client, _ = docker_engine()
    if client is None:
        return 0
    keyring = Keyring(found[0].key_home, "test")
    addresses = {keyring.show(provider.name).address for provider in found}
    runtime = Runtime(client)
    removed = 0
    for lease_name in runtime.adopt():
        if lease_name.rsplit("/", 1)[-1] in addresses:
            removed += runtime.remove(lease_name)
    return removed
