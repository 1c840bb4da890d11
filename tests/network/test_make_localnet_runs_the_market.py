"""`make localnet` with its two providers on a real Docker engine, `make demo` on it, and the
fault drills, on one localnet in a folder and on ports of its own (at 1 s blocks, as a
developer gets it): the journey completes while a validator is killed with SIGKILL; a
winning provider's daemon killed and restarted keeps its container and reports again; a
provider stopped for good loses its lease as a fault after the chain's report interval,
its collateral slashed and the tenant paid back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from network_helpers import REPO, Localnet, process_exists

from chain.pb.gpuchain.market.v1 import market_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.pb.gpuchain.provider.v1 import query_pb2 as provider_query_pb2
from localnet import demo
from localnet import providers as localnet_providers
from provider import engine

pytestmark = pytest.mark.timeout(600)


class Market(Localnet):
    """The localnet and what its first start printed."""

    started: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    client, reason = engine.docker_engine()
    if client is None:
        pytest.skip(f"no Docker engine for the providers: {reason}")
    net = Market(tmp_path_factory.mktemp("market") / "data")
    net.started = net.run(timeout=300)
    try:
        assert net.started.returncode == 0, net.started.stdout + net.started.stderr
        yield net
    finally:
        net.stop()
        homes = net.data / "validator0"
        if homes.exists():
            localnet_providers.remove_containers(localnet_providers.on_disk(net.data, homes))


def wait_until(check: Callable[[], object], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.5)


def group_of(net: Localnet, name: str) -> int:
    """The process group of a localnet process (each leads its own)."""
    return int(json.loads((net.data / "localnet.pids").read_text())[name]["pid"])


def kill(net: Localnet, name: str) -> None:
    group = group_of(net, name)
    os.killpg(group, signal.SIGKILL)
    wait_until(lambda: not process_exists(group), f"{name} gone", timeout=30)


def restart(net: Localnet) -> str:
    """`make localnet` again: it brings back what is down and keeps what runs."""
    again = net.run(timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    return again.stdout


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
    return body


def test_localnet_registers_two_providers_and_says_what_to_do_next(localnet: Market) -> None:
    out = localnet.started.stdout
    for index, name in enumerate(("provider1", "provider2")):
        assert f"registered {name} on chain" in out
        assert f"{name}  gateway https://127.0.0.1:{localnet.gateway_base + index}" in out
    assert "region=eu-west,tier=premium" in out and "region=us-east,tier=community" in out
    assert "tenant  gpu1" in out and "next: `make demo`" in out

    status = localnet.run("--status")
    assert status.returncode == 0, status.stdout
    assert status.stdout.count(": running, height ") == 4
    assert "provider1: running (pid" in status.stdout
    assert "provider2: running (pid" in status.stdout

    trip = demo.open_journey(localnet.data)
    listed = trip.rpc.query_message(
        "/gpuchain.provider.v1.Query/Providers",
        provider_query_pb2.QueryProvidersRequest(),
        provider_query_pb2.QueryProvidersResponse(),
    )
    registered = {p.owner: p for p in listed.providers}
    for address, name in trip.names.items():
        if name.startswith("provider"):
            assert registered[address].cert_fingerprint  # the gateway's cert is on chain


def test_make_demo_runs_the_whole_journey(localnet: Localnet) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "localnet.demo", "--data", str(localnet.data)],
        cwd=REPO, capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for number, title in enumerate(demo.STEPS, start=1):
        assert f"\n{number}. {title}\n" in out
    assert "web-gpu.yaml is valid" in out
    assert ("falling back to the CPU profile" in out) != ("GPU(s): deploying it" in out)
    assert "provider2 bid" in out and "provider1 bid" in out
    assert "leased the order to provider2, the lowest price" in out  # the cheaper one
    assert "→ 'gpuchain fixture'" in out
    assert "web-0 | " in out and "response:200" in out  # the logs show the request
    assert "provider2 withdrew: tx " in out
    assert out.count(" committed at height ") == 2  # create and close
    assert "the journey is complete" in out


def test_the_journey_completes_while_a_validator_is_killed(localnet: Localnet) -> None:
    """SIGKILL validator3 right after the deployment is created: three of four validators
    keep making blocks, and `make localnet` brings it back afterwards."""
    trip = demo.journey(localnet.data, after={2: lambda _: kill(localnet, "validator3")})
    assert trip.escrow().state.lower() == "closed"
    assert "restarting: validator3" in restart(localnet)


def test_a_killed_provider_daemon_keeps_its_container_and_reports_again(
    localnet: Localnet,
) -> None:
    def kill_and_restart_the_winner(trip: demo.Journey) -> None:
        winner = trip.name(trip.winner)
        url = f"http://127.0.0.1:{trip.host_port}/"
        until = trip.reported_until()
        kill(localnet, winner)
        assert get(url) == engine.HTTPD_PAGE  # the container runs on without its daemon
        assert f"starting {winner}'s daemon" in restart(localnet)
        wait_until(lambda: trip.reported_until() > until, "a report after the restart")
        assert get(url) == engine.HTTPD_PAGE
        status = localnet.run("--status")
        assert f"{winner}: running (pid" in status.stdout

    trip = demo.journey(localnet.data, after={6: kill_and_restart_the_winner})
    assert trip.escrow().state.lower() == "closed"


def test_a_provider_stopped_for_good_loses_its_lease_as_a_fault(localnet: Localnet) -> None:
    trip = demo.journey(localnet.data, until=6)
    winner = trip.name(trip.winner)
    assert trip.lease is not None
    lease_id = trip.lease.lease_id
    collateral = provider_collateral(trip, trip.winner)
    tenant_before = trip.balance(trip.tenant)
    kill(localnet, winner)
    # A report the daemon sent just before may still land in the next block; then no more.
    trip.rpc.wait_for_height(trip.rpc.latest_height() + 2)
    last_reported = trip.reported_until()

    def closed() -> market_pb2.Lease | None:
        answer = trip.rpc.query_message(
            "/gpuchain.market.v1.Query/Leases",
            market_query_pb2.QueryLeasesRequest(owner=trip.tenant, state="closed"),
            market_query_pb2.QueryLeasesResponse(),
        )
        return next((lease for lease in answer.leases if lease.lease_id == lease_id), None)

    interval = market_params(trip).report_interval_blocks
    wait_until(closed, "the lease closed as a fault", timeout=3 * interval + 60)
    lease = closed()
    assert lease is not None
    assert lease.reason == market_pb2.LEASE_CLOSED_REASON_PROVIDER_FAULT
    assert lease.closed_at <= last_reported + interval + 1  # at the report deadline
    fault = finalize_event(trip, lease.closed_at, "lease_fault")
    assert int(fault["refunded"]) > 0  # the unreported blocks, back in the escrow balance
    assert int(fault["to_tenant"]) > 0
    assert provider_collateral(trip, trip.winner) == collateral - int(fault["slashed"])
    assert trip.balance(trip.tenant) >= tenant_before + int(fault["to_tenant"])

    # The group's new order has the other provider's bid by now, which the close refunds:
    # more gas than the simulation a block earlier saw.
    trip.tx("deployment", "close", "--dseq", str(trip.dseq), "--gas-adjustment", "2")
    demo.refund_arrives(trip)
    # Back for whatever runs next: its lease is closed, so it removes the old container.
    assert f"starting {winner}'s daemon" in restart(localnet)


def provider_collateral(trip: demo.Journey, address: str) -> int:
    answer = trip.rpc.query_message(
        "/gpuchain.provider.v1.Query/Provider",
        provider_query_pb2.QueryProviderRequest(owner=address),
        provider_query_pb2.QueryProviderResponse(),
    )
    return int(answer.provider.collateral.amount)


def market_params(trip: demo.Journey) -> market_pb2.Params:
    return trip.rpc.query_message(
        "/gpuchain.market.v1.Query/Params",
        market_query_pb2.QueryParamsRequest(),
        market_query_pb2.QueryParamsResponse(),
    ).params


def finalize_event(trip: demo.Journey, height: int, kind: str) -> dict[str, str]:
    results = trip.rpc.call("block_results", height=str(height))
    for event in results.get("finalize_block_events") or []:
        if event["type"] == kind:
            return {a["key"]: a["value"] for a in event["attributes"]}
    raise AssertionError(f"no {kind} event in block {height}")
