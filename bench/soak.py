"""Soak: a steady load at half of one validator's capacity for ten minutes (prints figures).

Run: .venv/bin/python bench/soak.py [--minutes 10] [--capacity TX_PER_S] [--json]

First it measures capacity as bench/throughput.py does (a fresh node offered
`--probe-rate` tx/s for `--probe-seconds`; the committed rate is the capacity), unless
`--capacity` gives it. Then a second fresh node is offered half of that for `--minutes`
minutes by the same open-loop load (bench/load.py), while the node's resident memory is
sampled. It reports, per minute, the app's and CometBFT's RSS, the committed rate and the
p50/p99 broadcast-to-commit latency of the txs sent in that minute, and checks the goals:
the app's RSS grows by less than 10% after minute 2, every accepted tx commits and none is
refused or fails, and the last minute's p50 latency is within 20% of the first minute's.

Not part of the test suite: it takes about `--minutes` + 2 minutes. Figures go to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.load import LoadResult, machine, run_load  # noqa: E402
from bench.throughput import (  # noqa: E402
    Settings,
    account_key,
    measure,
    presign_sends,
    source_state,
    start_gpuchain,
)

RSS_GROWTH_LIMIT = 0.10
LATENCY_DRIFT_LIMIT = 0.20
SAMPLE_SECONDS = 5.0


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def child_pids(pid: int) -> list[int]:
    children = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children.extend(int(child) for child in (task / "children").read_text().split())
    except OSError:
        pass
    return children


class MemorySampler(threading.Thread):
    """Samples the app's RSS and its CometBFT child's every SAMPLE_SECONDS until stopped."""

    def __init__(self, app_pid: int, say: Any) -> None:
        super().__init__(daemon=True)
        self.app_pid = app_pid
        self.say = say
        self.samples: list[tuple[float, int, int]] = []  # (monotonic time, app, cometbft)
        self.halt = threading.Event()

    def run(self) -> None:
        began = time.monotonic()
        next_report = began + 60
        while not self.halt.is_set():
            now = time.monotonic()
            comet = sum(rss_bytes(child) for child in child_pids(self.app_pid))
            self.samples.append((now, rss_bytes(self.app_pid), comet))
            if now >= next_report:
                minute = round((now - began) / 60)
                self.say(
                    f"minute {minute}: app RSS {self.samples[-1][1] / 2**20:.1f} MiB, "
                    f"cometbft RSS {comet / 2**20:.1f} MiB"
                )
                next_report += 60
            self.halt.wait(SAMPLE_SECONDS)

    def at(self, moment: float) -> tuple[int, int]:
        """(app, cometbft) RSS of the sample nearest to moment."""
        nearest = min(self.samples, key=lambda sample: abs(sample[0] - moment))
        return nearest[1], nearest[2]


def per_minute(result: LoadResult, sampler: MemorySampler, minutes: int) -> list[dict[str, Any]]:
    """Each minute of the load: RSS at its end, txs committed in it, latency of txs sent in it."""
    index_of = {digest: index for index, digest in enumerate(result.hashes)}
    latencies: list[list[float]] = [[] for _ in range(minutes)]
    committed = [0] * minutes
    for block in result.blocks:
        for digest in block.tx_hashes:
            index = index_of.get(digest)
            if index is None:
                continue
            sent = result.sent_at[index]
            minute = int((sent - result.start) // 60)
            if 0 <= minute < minutes:
                latencies[minute].append(block.seen - sent)
            seen_minute = int((block.seen - result.start) // 60)
            if 0 <= seen_minute < minutes:
                committed[seen_minute] += 1
    rows = []
    for minute in range(minutes):
        app, comet = sampler.at(result.start + 60 * (minute + 1))
        ordered = sorted(latencies[minute])
        rows.append(
            {
                "minute": minute + 1,
                "app_rss_mib": round(app / 2**20, 1),
                "cometbft_rss_mib": round(comet / 2**20, 1),
                "committed_tx_per_s": round(committed[minute] / 60, 1),
                "latency_p50_s": quantile(ordered, 0.50),
                "latency_p99_s": quantile(ordered, 0.99),
            }
        )
    return rows


def quantile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def goals(rows: list[dict[str, Any]], figures: dict[str, Any]) -> dict[str, Any]:
    """The soak's pass/fail criteria, each with the figures it was judged on."""
    baseline = rows[min(1, len(rows) - 1)]["app_rss_mib"]  # at the end of minute 2
    growth = (rows[-1]["app_rss_mib"] - baseline) / baseline if baseline else None
    first, last = rows[0]["latency_p50_s"], rows[-1]["latency_p50_s"]
    drift = (last - first) / first if first and last is not None else None
    lost = {
        "checktx_rejected": figures["checktx_rejected"],
        "failed_in_blocks": figures["failed_in_blocks"],
        "never_committed": figures["never_committed"],
    }
    return {
        "rss_growth_after_minute_2": None if growth is None else round(growth, 3),
        "rss_ok": growth is not None and growth < RSS_GROWTH_LIMIT,
        "lost": lost,
        "nothing_lost": not any(lost.values()),
        "latency_p50_drift": None if drift is None else round(drift, 3),
        "latency_ok": drift is not None and abs(drift) <= LATENCY_DRIFT_LIMIT,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10, help="minutes of load (10)")
    parser.add_argument("--capacity", type=float, help="skip the probe: committed tx/s at most")
    parser.add_argument("--probe-rate", type=float, default=3000, help="offered tx/s in the probe")
    parser.add_argument("--probe-seconds", type=float, default=30, help="probe duration (30)")
    parser.add_argument("--accounts", type=int, default=2000, help="sending accounts (2000)")
    parser.add_argument("--block-time", default="1s", help="CometBFT timeout_commit (1s)")
    parser.add_argument("--keep-homes", action="store_true", help="keep node homes and logs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    say = (lambda *a: None) if args.json else print
    settings = Settings(
        duration=args.probe_seconds,
        accounts=args.accounts,
        rate=args.probe_rate,
        connections=16,
        pipeline=256,
        block_time=args.block_time,
        mempool_size=50_000,
        mempool_cache=100_000,
        recheck=True,
        drain=10,
        wait_quiet=0,
        tx_index="kv",
    )
    report: dict[str, Any] = {"machine": machine(), "source": source_state()}
    say(f"machine: {report['machine']}\nsource: {report['source']}")
    keys = [account_key(index) for index in range(args.accounts)]
    workdir = Path(tempfile.mkdtemp(prefix="gpuchain-soak-"))
    try:
        capacity = args.capacity
        if capacity is None:
            raws, senders = presign_sends(keys, int(settings.rate * settings.duration))
            node = start_gpuchain(workdir / "probe", settings, keys, None)
            probe = measure(node, raws, senders, settings, say)
            capacity = float(probe["committed_tx_per_s"])  # type: ignore[arg-type]
            report["probe"] = probe
            say(f"capacity: {capacity} tx/s committed when offered {settings.rate} tx/s")
        rate = capacity / 2
        duration = 60.0 * args.minutes
        soak = replace(settings, rate=rate, duration=duration, drain=120)
        report["settings"] = {**soak.__dict__, "capacity_tx_per_s": capacity}
        raws, senders = presign_sends(keys, int(rate * duration))
        node = start_gpuchain(workdir / "soak", soak, keys, None)
        try:
            node.wait_for_height(2)
            sampler = MemorySampler(node.process.pid, say)
            sampler.start()
            say(f"offering {rate:.0f} tx/s for {args.minutes} minutes")
            result = run_load(
                node.rpc_port,
                raws,
                senders,
                rate=rate,
                duration=duration,
                connections=soak.connections,
                pipeline=soak.pipeline,
                drain_seconds=soak.drain,
                node_pid=node.process.pid,
            )
            sampler.halt.set()
            sampler.join()
        finally:
            node.stop()
        figures = result.figures()
        rows = per_minute(result, sampler, args.minutes)
        report.update({"soak": figures, "minutes": rows, "goals": goals(rows, figures)})
    finally:
        if args.keep_homes:
            say(f"node homes kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_summary(report)
    return 0 if all(report["goals"][k] for k in ("rss_ok", "nothing_lost", "latency_ok")) else 1


def print_summary(report: dict[str, Any]) -> None:
    figures = report["soak"]
    print("\n== soak ==")
    print(
        f"offered {figures['offered_tx_per_s']} tx/s (half of "
        f"{report['settings']['capacity_tx_per_s']}), committed {figures['committed_tx_per_s']}"
        f" tx/s, p50 {figures['latency_p50_s']} s, p99 {figures['latency_p99_s']} s, "
        f"machine busy {figures['machine_busy_percent']}% "
        f"(others {figures['others_cpu_percent']}%)"
    )
    print(f"{'min':>3} {'app MiB':>8} {'comet MiB':>9} {'tx/s':>7} {'p50 s':>6} {'p99 s':>6}")
    for row in report["minutes"]:
        print(
            f"{row['minute']:>3} {row['app_rss_mib']:>8} {row['cometbft_rss_mib']:>9}"
            f" {row['committed_tx_per_s']:>7} {row['latency_p50_s']!s:>6}"
            f" {row['latency_p99_s']!s:>6}"
        )
    print(f"goals: {report['goals']}")


if __name__ == "__main__":
    sys.exit(main())
