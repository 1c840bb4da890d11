"""How long `gpuchain` takes to start and answer: `--help`, `status`, and a tx command's
`--help` (prints figures; no timed test asserts them).

Run: .venv/bin/python bench/cli_startup.py [--runs 15] [--repo PATH] [--json]

Each command runs `--runs` times as a fresh `python -m chain.cli.main` process, as a shell
would start it; the figures are the median and the fastest wall time. `status` asks an
RPC address where nothing listens, so it measures the start-up and the failed connection
(a few ms on loopback), not a node. `--repo` measures another checkout with its own
.venv (e.g. a worktree of an older commit), for before/after figures. Figures are
recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

COMMANDS = {
    "--help": ["--help"],
    "status": ["status"],
    "tx bank send --help": ["tx", "bank", "send", "--help"],
}


def unused_rpc_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


def seconds(repo: Path, argv: list[str], runs: int) -> list[float]:
    """Wall times of runs fresh processes of `gpuchain ARGV` in repo."""
    python = repo / ".venv" / "bin" / "python"
    env = {**os.environ, "PYTHONPATH": str(repo)}
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(
            [str(python), "-m", "chain.cli.main", *argv],
            cwd=repo,
            env=env,
            capture_output=True,
            check=False,
        )
        times.append(time.perf_counter() - began)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="processes per command")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout to measure")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    node = unused_rpc_address()
    figures = {}
    for name, argv in COMMANDS.items():
        flags = ["--node", node] if name == "status" else []
        times = seconds(args.repo.resolve(), [*argv, *flags], args.runs)
        figures[name] = {"median_s": statistics.median(times), "min_s": min(times)}
    if args.json:
        print(json.dumps({"repo": str(args.repo), "runs": args.runs, "commands": figures}))
        return 0
    print(f"gpuchain start-up in {args.repo} ({args.runs} runs each)")
    for name, figure in figures.items():
        print(
            f"  gpuchain {name:<22} median {figure['median_s']:.3f} s  "
            f"fastest {figure['min_s']:.3f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
