"""The whole path on a real node and a real Docker engine: `gpuchain-provider init` and the
registration it prints, `start`; the tenant deploys, the daemon bids and wins, the manifest
sent through the gateway runs as containers that answer HTTP, a daemon killed with SIGKILL
keeps them when it comes back (no second bid, reports resume), the tenant's close removes
them, and SIGTERM stops the daemon cleanly."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from daemon_helpers import (
    REPOSITORY,
    Chain,
    deliver,
    group,
    provider_cli,
    provider_output,
    wait_until,
)
from docker import DockerClient

from chain.coins import Coin
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.pb.gpuchain.market.v1 import usage_pb2
from chain.testing import free_port
from provider import config as provider_config
from provider import runtime_testing
from provider.daemon import lease_id_of
from provider.runtime import Runtime
from x.deployment.cli import read_sdl
from x.deployment.msgs import close_msg, create_msg
from x.market.msgs import lease_fields

pytestmark = pytest.mark.timeout(240)
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
    answer = chain.node.rpc.query_message(
        "/gpuchain.market.v1.Query/Usage",
        usage_pb2.QueryUsageRequest(**lease_fields(lease_id_of(name))),
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


def start(home: Path, **environment: str) -> subprocess.Popen[str]:
    """`gpuchain-provider start` in its own process (with environment added)."""
    return subprocess.Popen(
        [sys.executable, "-m", "provider.cli", "start", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPOSITORY,
        env={**os.environ, **environment},
    )


def gpuchain(chain: Chain, *argv: str) -> str:
    """`gpuchain ARGV` against the node with its home's test keyring; must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "chain.cli.main", *argv, "--node", chain.node.rpc_address,
         "--home", str(chain.node.home), "--keyring-backend", "test"],
        capture_output=True, text=True, cwd=REPOSITORY, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def init_provider(chain: Chain, home: Path, gateway_port: int) -> None:
    """`gpuchain-provider init`, then the registration command it prints, run as printed."""
    done = provider_cli(
        "init", "--home", str(home), "--from", "provider", "--node", chain.node.rpc_address,
        "--keyring-backend", "test", "--keyring-home", str(chain.node.home),
        "--host-uri", f"https://127.0.0.1:{gateway_port}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [command] = [line for line in done.stdout.splitlines() if "tx provider create" in line]
    argv = shlex.split(command)
    assert argv[:4] == ["gpuchain", "tx", "provider", "create"]
    assert argv[argv.index("--cert") + 1] == str(home / "gateway.crt")
    done = subprocess.run(
        [sys.executable, "-m", "chain.cli.main", *argv[1:], "--fees", "2000ugpc",
         "--gas", "2000000", "--yes"],
        capture_output=True, text=True, cwd=REPOSITORY, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    configuration = home / provider_config.CONFIG_FILE
    data = yaml.safe_load(configuration.read_text())
    data.update(
        docker_host=runtime_testing.engine_url(),
        gateway_listen=f"127.0.0.1:{gateway_port}",
        report_interval_blocks=4,
        metrics_listen="",
        pricing={"cpu_milli": "0.01", "memory_gib": "8", "storage_gib": "8",
                 "gpu": {"default": "100"}},
    )  # fmt: skip
    configuration.write_text(yaml.safe_dump(data))


def test_a_lease_runs_on_docker_through_the_gateway_survives_kill_9_and_goes_when_closed(
    chain: Chain, tmp_path: Path, runtime: Runtime
) -> None:
    home = tmp_path / "provider"
    init_provider(chain, home, free_port())
    daemon = start(home)
    tenant = chain.addresses["tenant"]
    groups, manifest_hash = read_sdl(str(WEB_SDL))
    deposit = Coin("ugpc", 5_000_000)
    deliver(chain, "tenant", [create_msg(tenant, DSEQ, groups, manifest_hash, deposit)])
    name = f"{tenant}/{DSEQ}/1/1/{chain.addresses['provider']}"
    wait_until(lambda: leased(chain, name), "the lease won", timeout=60)

    gpuchain(chain, "lease", "send-manifest", str(WEB_SDL), "--dseq", str(DSEQ), "--from", "tenant")
    [web] = runtime.status(name)
    assert (web.ready, web.total) == (2, 2)
    port = web.ports[0].host_port
    assert get(f"http://127.0.0.1:{port}/") == b"gpuchain fixture\n"
    assert f"{name} since height" in provider_output(
        "status", "--home", str(home)
    ) and "running" in provider_output("status", "--home", str(home))
    assert str(port) in gpuchain(chain, "lease", "status", "--dseq", str(DSEQ), "--from", "tenant")
    containers = sorted(web.containers)

    # SIGKILL mid-lease, twice: the containers stay, reports resume, no second bid.
    for _ in range(2):
        daemon.kill()
        daemon.wait(timeout=10)
        until = reported_until(chain, name)
        daemon = start(home)
        wait_until(lambda: reported_until(chain, name) > until, "a report after the restart")  # noqa: B023
        assert sorted(runtime.status(name)[0].containers) == containers
        assert get(f"http://127.0.0.1:{port}/") == b"gpuchain fixture\n"
    assert bids(chain) == 1

    deliver(chain, "tenant", [close_msg(tenant, DSEQ)])
    wait_until(lambda: runtime.status(name) == [], "the containers removed after the close")
    daemon.send_signal(signal.SIGTERM)
    output, _ = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, output
    assert f"lease {name} closed on chain (LEASE_CLOSED_REASON_DEPLOYMENT_CLOSED)" in output
    assert "stopped at height" in output.splitlines()[-1]


def leased(chain: Chain, name: str) -> bool:
    lease_id = lease_id_of(name)
    answer = chain.node.rpc.query_message(
        "/gpuchain.market.v1.Query/Leases",
        market_query_pb2.QueryLeasesRequest(provider=lease_id.provider, state="active"),
        market_query_pb2.QueryLeasesResponse(),
    )
    return any(lease.lease_id.dseq == lease_id.dseq for lease in answer.leases)


H100 = "GPU-11111111-2222-3333-4444-555555555555"
A100 = "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_gpu_stand_in_the_daemon_bids_with_its_gpu_price_and_reports_the_leased_gpu(
    chain: Chain, tmp_path: Path, docker_client: DockerClient
) -> None:
    library, reason = runtime_testing.nvml_standin(tmp_path / "nvml")
    if library is None:
        pytest.skip(reason)
    gpus = tmp_path / "gpus"
    gpus.write_text(
        f"{H100} NVIDIA_H100_80GB_HBM3 {80 * 2**30} 0 0 1000000 300000 ok\n"
        f"{A100} NVIDIA_A100-SXM4-40GB {40 * 2**30} 35 {2**30} 2000000 250000 ok\n"
    )
    home = tmp_path / "provider"
    init_provider(chain, home, free_port())
    configuration = home / provider_config.CONFIG_FILE
    data = yaml.safe_load(configuration.read_text())
    data["pricing"]["gpu"] = {"a100": "50", "default": "20"}
    configuration.write_text(yaml.safe_dump(data))
    daemon = start(home, LD_LIBRARY_PATH=str(library), NVML_STANDIN_STATE=str(gpus))

    tenant = chain.addresses["tenant"]
    deposit = Coin("ugpc", 5_000_000)
    deliver(chain, "tenant", [create_msg(tenant, DSEQ + 1, [group("a100", "1000", gpus=1)],
                                         b"\1" * 32, deposit)])  # fmt: skip
    name = f"{tenant}/{DSEQ + 1}/1/1/{chain.addresses['provider']}"
    wait_until(lambda: leased(chain, name), "the GPU lease won", timeout=60)
    wait_until(lambda: reported_gpus(chain, name), "a usage report with the GPU", timeout=60)
    daemon.send_signal(signal.SIGTERM)
    output, _ = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, output

    [(uuid, model, utilization)] = reported_gpus(chain, name)[:1]
    assert (uuid, model, utilization) == (A100, "a100-sxm4-40gb", 3500)  # never the H100
    assert bid_prices(chain) == ["53"]  # 1 CPU + 1 memory + 1 storage + the A100's 50
    assert f"GPUs: NVIDIA H100 80GB HBM3 {H100}" in output


def reported_gpus(chain: Chain, name: str) -> list[tuple[str, str, int]]:
    lease_id = lease_id_of(name)
    answer = chain.node.rpc.query_message(
        "/gpuchain.market.v1.Query/Usage",
        usage_pb2.QueryUsageRequest(
            owner=lease_id.owner, dseq=lease_id.dseq, gseq=1, oseq=1, provider=lease_id.provider
        ),
        usage_pb2.QueryUsageResponse(),
    )
    return [
        (gpu.uuid, gpu.model, gpu.avg_utilization_bps)
        for report in answer.reports
        for gpu in report.gpus
    ]


def bid_prices(chain: Chain) -> list[str]:
    answer = chain.node.rpc.query_message(
        "/gpuchain.market.v1.Query/Bids",
        market_query_pb2.QueryBidsRequest(provider=chain.addresses["provider"]),
        market_query_pb2.QueryBidsResponse(),
    )
    return [bid.price.amount for bid in answer.bids]
