"""Deployment → lease → running: the latency a tenant sees on a localnet (prints figures).

Run: .venv/bin/python bench/lease_latency.py [--runs 3]

Starts a localnet of its own (4 validators at 1 s blocks and the 2 provider daemons on
Docker, `python -m localnet.run` on free ports in a temporary folder) and, per run, as the
tenant of `make demo` (localnet/demo.py): creates a deployment of localnet/examples/
web-cpu.yaml, waits for the lease matching makes, sends the manifest, and waits until the
service answers HTTP on its host port; then closes the deployment. It reports, in blocks
and in seconds:
  lease    - from the deployment's block to the lease's (goal: bid_window_blocks + 1);
  running  - from the block the manifest was sent at to the first block after the service
             answered (goal: 2);
  total    - from sending the deployment tx to the service answering.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)  # instead of bench/, whose sdl.py would shadow the sdl package

from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2  # noqa: E402
from localnet import demo  # noqa: E402
from localnet import providers as localnet_providers  # noqa: E402
from localnet.run import free_base  # noqa: E402


def localnet(data: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    base = free_base()
    gateway = free_base(blocks=1, width=2)
    return subprocess.run(
        [sys.executable, "-m", "localnet.run", *flags, "--data", str(data),
         "--base-port", str(base), "--grpc-base-port", str(base + 2),
         "--metrics-base-port", str(base + 3), "--api-base-port", str(base + 4),
         "--gateway-base-port", str(gateway)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def one_run(data: Path) -> dict[str, float]:
    """One deployment to a running service; its latencies (blocks and seconds)."""
    trip = demo.open_journey(data)
    quiet = io.StringIO()  # the steps print as in the demo; the bench prints figures only
    with contextlib.redirect_stdout(quiet):
        demo.validate_sdl(trip)
        began = time.monotonic()
        demo.create_deployment(trip)
        demo.matching(trip)
        leased_at = time.monotonic()
        assert trip.lease is not None
        sent_height = trip.rpc.latest_height()
        demo.send_manifest(trip)
        demo.service_answers(trip)
        running_at = time.monotonic()
        running_height = trip.rpc.latest_height()
        demo.tenant_closes(trip)
    return {
        "lease_blocks": trip.lease.created_at - trip.deployed_height,
        "lease_s": leased_at - began,
        "running_blocks": running_height - sent_height,
        "running_s": running_at - leased_at,
        "total_s": running_at - began,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lease-latency-") as folder:
        data = Path(folder) / "data"
        started = localnet(data)
        if started.returncode != 0:
            print(f"the localnet did not start: {started.stderr.strip()}", file=sys.stderr)
            return 1
        try:
            runs = [one_run(data) for _ in range(args.runs)]
            trip = demo.open_journey(data)
            window = trip.rpc.query_message(
                "/gpuchain.market.v1.Query/Params",
                market_query_pb2.QueryParamsRequest(),
                market_query_pb2.QueryParamsResponse(),
            ).params.bid_window_blocks
        finally:
            localnet(data, "--stop")
            homes = data / "validator0"
            if homes.exists():
                localnet_providers.remove_containers(localnet_providers.on_disk(data, homes))
    print(f"deployment → lease → running on a localnet (1 s blocks), {args.runs} runs")
    for key, label in (
        ("lease_blocks", "lease, blocks after the deployment's"),
        ("running_blocks", "running, blocks after the manifest"),
    ):
        values = [int(run[key]) for run in runs]
        print(f"  {label}: max {max(values)}, each {values}")
    for key, label in (("lease_s", "lease"), ("running_s", "running"), ("total_s", "total")):
        values = [run[key] for run in runs]
        print(f"  {label}: median {statistics.median(values):.2f} s, max {max(values):.2f} s")
    lease_ok = max(int(run["lease_blocks"]) for run in runs) <= window + 1
    running_ok = max(int(run["running_blocks"]) for run in runs) <= 2
    verdict = {True: "met", False: "MISSED"}
    print(f"  goal: lease within bid_window + 1 = {window + 1} blocks: {verdict[lease_ok]}")
    print(f"  goal: running within 2 blocks of the manifest: {verdict[running_ok]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
