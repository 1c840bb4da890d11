"""`make bench`: every figure the marketplace is judged by, in one run (prints them).

Runs, one after another, each as its own process (so one that fails does not stop the rest;
its exit code is named and the run exits 1 at the end):
  1. chain throughput: committed tx/s, p50/p99 latency, next to CometBFT's kvstore under the
     same load (bench/throughput.py, quickened);
  2. deployment → lease → running, in blocks and seconds (bench/lease_latency.py);
  3. SDL files/s (bench/sdl.py);
  4. FinalizeBlock ms at 100 and 10,000 active leases (bench/market.py);
  5. provider latency from an order event to a committed bid (bench/provider_daemon.py);
  6. manifest → running container on Docker (bench/manifest_to_container.py).
Each script's docstring says what it measures; the recorded figures are in
docs/benchmarks.md. `--quick` quickens every part (for a look, not for the record).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def parts(quick: bool) -> list[tuple[str, list[str]]]:
    return [
        ("chain throughput (1 validator) vs CometBFT kvstore",
         ["throughput.py", "--duration", "10" if quick else "30", "--accounts", "1000"]),
        ("deployment → lease → running", ["lease_latency.py", "--runs", "1" if quick else "3"]),
        ("SDL validation", ["sdl.py", "--rounds", "1" if quick else "3"]),
        ("FinalizeBlock with active leases",
         ["market.py", "--leases", "100,10000", "--blocks", "5" if quick else "20"]),
        ("provider: order event → committed bid",
         ["provider_daemon.py", "--orders", "5" if quick else "20"]),
        ("provider: manifest → running container",
         ["manifest_to_container.py", "--runs", "3" if quick else "10"]),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quicker runs of every part")
    args = parser.parse_args()
    failed = []
    for number, (title, argv) in enumerate(parts(args.quick), start=1):
        print(f"\n== {number}. {title} ({' '.join(argv)})", flush=True)
        began = time.monotonic()
        done = subprocess.run([sys.executable, str(BENCH / argv[0]), *argv[1:]], check=False)
        print(f"   ({time.monotonic() - began:.0f} s)", flush=True)
        if done.returncode != 0:
            failed.append(f"{argv[0]} (exit {done.returncode})")
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
