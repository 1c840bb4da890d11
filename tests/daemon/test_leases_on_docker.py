"""The whole path on a real node and a real Docker engine: the tenant deploys, the daemon
bids and wins, the manifest runs as containers that answer HTTP, a restarted daemon keeps
them (no second bid, reports resume), and the tenant's close removes them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from daemon_helpers import Chain, Running, deliver, provider_home, wait_until
from docker import DockerClient

import sdl
from chain.coins import Coin
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.pb.gpuchain.market.v1 import usage_pb2
from provider import config as provider_config
from provider import runtime_testing
from provider.daemon import lease_id_of
from provider.runtime import Runtime
from x.deployment.cli import read_sdl
from x.deployment.msgs import close_msg, create_msg

pytestmark = pytest.mark.timeout(240)
REPOSITORY = Path(__file__).resolve().parents[2]
WEB_SDL = REPOSITORY / "tests" / "data" / "provider_runtime" / "web.yaml"
DSEQ = 500


@pytest.fixture(scope="module")
def docker_client() -> DockerClient:
    client, reason = runtime_testing.docker_engine()
    if client is None:
        pytest.skip(f"no Docker engine: {reason}")
    image, reason = runtime_testing.httpd_image(client)
    if image is None:
        pytest.skip(f"no fixture image: {reason}")
    return client


@pytest.fixture
def runtime(docker_client: DockerClient) -> Iterator[Runtime]:
    runtime = Runtime(docker_client, publish_ip="127.0.0.1")
    yield runtime
    for name in runtime.adopt():
        if f"/{DSEQ}/" in name:
            runtime.remove(name)


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
    return body


def reported_until(chain: Chain, name: str) -> int:
    lease_id = lease_id_of(name)
    answer = chain.node.rpc.query_message(
        "/gpuchain.market.v1.Query/Usage",
        usage_pb2.QueryUsageRequest(
            owner=lease_id.owner,
            dseq=lease_id.dseq,
            gseq=lease_id.gseq,
            oseq=lease_id.oseq,
            provider=lease_id.provider,
        ),
        usage_pb2.QueryUsageResponse(),
    )
    return answer.reported_until


def bids(chain: Chain) -> int:
    answer = chain.node.rpc.query_message(
        "/gpuchain.market.v1.Query/Bids",
        market_query_pb2.QueryBidsRequest(provider=chain.addresses["provider"]),
        market_query_pb2.QueryBidsResponse(),
    )
    return len(answer.bids)


def status(home: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "provider.cli", "status", "--home", str(home)],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def engine_url() -> str:
    """The address of the engine runtime_testing found, for provider.yaml's docker_host."""
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    if Path(runtime_testing.SYSTEM_SOCKET.removeprefix("unix://")).exists():
        return runtime_testing.SYSTEM_SOCKET
    return f"unix://{runtime_testing.DOCKERD_HOME / 'docker.sock'}"


def start(home: Path) -> subprocess.Popen[str]:
    """`gpuchain-provider start` in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "provider.cli", "start", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPOSITORY,
    )


def test_a_lease_runs_on_docker_survives_kill_9_and_goes_when_closed(
    chain: Chain, tmp_path: Path, runtime: Runtime
) -> None:
    home = provider_home(chain, tmp_path)
    configuration = home / provider_config.CONFIG_FILE
    data = yaml.safe_load(configuration.read_text())
    data.update(docker_host=engine_url(), report_interval_blocks=4)
    configuration.write_text(yaml.safe_dump(data))
    running = Running(home, runtime)
    tenant = chain.addresses["tenant"]
    groups, manifest_hash = read_sdl(str(WEB_SDL))
    deposit = Coin("ugpc", 5_000_000)
    deliver(chain, "tenant", [create_msg(tenant, DSEQ, groups, manifest_hash, deposit)])
    name = f"{tenant}/{DSEQ}/1/1/{chain.addresses['provider']}"
    wait_until(lambda: running.daemon.state.lease(name) is not None, "the lease won", timeout=60)

    manifest: list[dict[str, Any]] = sdl.parse_sdl_file(WEB_SDL).manifest().to_dict()  # type: ignore[assignment]
    [web] = running.daemon.on_manifest(lease_id_of(name), manifest[0])  # as the gateway does
    assert (web.ready, web.total) == (2, 2)
    port = web.ports[0].host_port
    assert get(f"http://127.0.0.1:{port}/") == b"gpuchain fixture\n"
    assert f"{name} since height" in status(home) and "running" in status(home)
    containers = sorted(web.containers)
    running.stop()

    # `start` in a process of its own, killed with SIGKILL mid-lease, then started again.
    for _ in range(2):
        until = reported_until(chain, name)
        daemon = start(home)
        try:
            wait_until(lambda: reported_until(chain, name) > until, "a report after the start")  # noqa: B023
        finally:
            daemon.kill()
            daemon.wait(timeout=10)
        assert sorted(runtime.status(name)[0].containers) == containers
        assert get(f"http://127.0.0.1:{port}/") == b"gpuchain fixture\n"
    assert bids(chain) == 1

    daemon = start(home)
    deliver(chain, "tenant", [close_msg(tenant, DSEQ)])
    wait_until(lambda: runtime.status(name) == [], "the containers removed after the close")
    daemon.send_signal(signal.SIGTERM)
    output, _ = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, output
    assert f"lease {name} closed on chain (LEASE_CLOSED_REASON_DEPLOYMENT_CLOSED)" in output
    assert "stopped at height" in output.splitlines()[-1]
