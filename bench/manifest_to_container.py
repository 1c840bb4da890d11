"""Time from a manifest to a running container, on the real Docker engine (prints figures).

Run: .venv/bin/python bench/manifest_to_container.py [--runs 10] [--replicas 1]

Each run deploys the web SDL's manifest group (tests/data/provider_runtime/web.yaml, the
busybox httpd fixture image imported without a registry) with `Runtime.deploy` and measures:
  running  - from the call to every replica's container running (deploy with no startup
             grace: image check, create, start, inspect);
  serving  - from the call to the first HTTP answer on a published host port;
  deployed - what the gateway's caller waits: deploy with the default startup grace, during
             which a container that exits at once is caught.
The lease's containers are removed between runs (removal is timed too).

With --gateway the manifest goes the tenant's way instead: a real node (a provider with its
gateway certificate on chain, a deployment of the SDL, the lease matching made), the
gateway over HTTPS, and a signed `PUT …/manifest` from the tenant's pinned client, timed
from the request to its answer (signature check, lease and deployment queries, deploy):
  gateway  - with no startup grace (the answer comes once the containers run);
  graced   - with the default grace, what the tenant waits for `lease send-manifest`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)  # instead of bench/, whose sdl.py would shadow the sdl package

import sdl  # noqa: E402
from chain.testing import free_port  # noqa: E402
from provider import runtime_testing  # noqa: E402
from provider.gateway import Gateway, NodeChainView, lease_name, make_self_signed_cert  # noqa: E402
from provider.gateway_client import GatewayClient  # noqa: E402
from provider.runtime import STARTUP_GRACE_S, Runtime  # noqa: E402

WEB_SDL = REPO / "tests" / "data" / "provider_runtime" / "web.yaml"
LEASE = "gpu1bench/1/1/1/gpu1provider"


def group(replicas: int) -> dict[str, Any]:
    manifest: list[dict[str, Any]] = sdl.parse_sdl_file(WEB_SDL).manifest().to_dict()  # type: ignore[assignment]
    manifest[0]["services"][0]["count"] = replicas
    return manifest[0]


def wait_serving(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (
        f"{name:9s} median {statistics.median(ordered) * 1000:7.0f} ms   "
        f"p90 {p90 * 1000:7.0f} ms   min {ordered[0] * 1000:7.0f} ms"
    )


def through_gateway(client: Any, runs: int) -> None:
    """Time signed manifest PUTs through the HTTPS gateway on a real node (see --gateway)."""
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        market = runtime_testing.Marketplace.start(home / "node")
        try:
            fingerprint = make_self_signed_cert(home / "gw.crt", home / "gw.key")
            port = free_port()
            market.register_provider(f"https://127.0.0.1:{port}", fingerprint)
            market.deploy(WEB_SDL, 1)
            lease_id = market.lease(1)
            body = sdl.parse_sdl_file(WEB_SDL).manifest().canonical_json()
            figures = {}
            for name, grace in (("gateway", 0.0), ("graced", STARTUP_GRACE_S)):
                runtime = Runtime(client, publish_ip="127.0.0.1", startup_grace_s=grace)
                gateway = Gateway(
                    market.address("provider"), NodeChainView([market.node.rpc_address]),
                    runtime, lambda lease, group, runtime=runtime: runtime.deploy(
                        lease_name(lease), group
                    ),
                    cert_path=home / "gw.crt", key_path=home / "gw.key",
                    listen=f"127.0.0.1:{port}",
                )  # fmt: skip
                gateway.start()
                tenant = GatewayClient(
                    f"https://127.0.0.1:{port}", fingerprint, market.address("provider"),
                    market.keys["tenant"],
                )  # fmt: skip
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    tenant.json("PUT", "/lease/1/1/1/manifest", body)
                    times.append(time.perf_counter() - started)
                    runtime.remove(lease_name(lease_id))
                gateway.stop()
                figures[name] = times
            print(f"through the gateway (HTTPS, signed, 2 chain queries), {runs} runs:")
            for name, times in figures.items():
                print(summary(name, times))
        finally:
            market.node.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--gateway", action="store_true", help="send it through the gateway")
    args = parser.parse_args()
    client, reason = runtime_testing.docker_engine()
    if client is None:
        raise SystemExit(f"no Docker engine: {reason}")
    image, reason = runtime_testing.httpd_image(client)
    if image is None:
        raise SystemExit(f"no fixture image: {reason}")
    if args.gateway:
        through_gateway(client, args.runs)
        return
    manifest_group = group(args.replicas)
    quick = Runtime(client, publish_ip="127.0.0.1", startup_grace_s=0)
    graced = Runtime(client, publish_ip="127.0.0.1")
    running, serving, deployed, removal = [], [], [], []
    quick.remove(LEASE)
    for _ in range(args.runs):
        started = time.perf_counter()
        statuses = quick.deploy(LEASE, manifest_group)
        running.append(time.perf_counter() - started)
        wait_serving(statuses[0].ports[0].host_port)
        serving.append(time.perf_counter() - started)
        started = time.perf_counter()
        quick.remove(LEASE)
        removal.append(time.perf_counter() - started)
        started = time.perf_counter()
        graced.deploy(LEASE, manifest_group)
        deployed.append(time.perf_counter() - started)
        graced.remove(LEASE)
    version = client.version()
    print(
        f"Docker {version['Version']} ({client.info()['Driver']} storage), {args.runs} runs, "
        f"{args.replicas} replica(s), startup grace {STARTUP_GRACE_S} s"
    )
    print(summary("running", running))
    print(summary("serving", serving))
    print(summary("deployed", deployed))
    print(summary("removed", removal))


if __name__ == "__main__":
    main()
