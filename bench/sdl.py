"""How many SDL files per second one core validates (parse + groups + manifest hash).

Runs over the public corpus (tests/data/sdl/public, or shared/sdl/public) and prints the
figures; it is not a test. Usage: `.venv/bin/python bench/sdl.py [--rounds N] [--profile]`.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.load import cpu_model  # noqa: E402
from sdl import SdlError, parse_sdl  # noqa: E402
from sdl.yamlsafe import _Parser  # noqa: E402


def corpus() -> list[tuple[str, bytes]]:
    for folder in (REPO / "tests/data/sdl/public", REPO.parent / "shared/sdl/public"):
        if folder.is_dir():
            return [
                (path.name, path.read_bytes())
                for path in sorted(folder.iterdir())
                if path.suffix in (".yaml", ".yml")
            ]
    raise SystemExit("no SDL corpus found")


def validate_all(files: list[tuple[str, bytes]]) -> int:
    """Validate every file; returns how many were valid."""
    valid = 0
    for name, data in files:
        try:
            sdl = parse_sdl(data, source=name)
        except SdlError:
            continue
        sdl.groups()
        sdl.manifest_hash()
        valid += 1
    return valid


def events_only(files: list[tuple[str, bytes]]) -> None:
    """Only pull libyaml's events through PyYAML: the ceiling for any PyYAML-based parser."""
    for _name, data in files:
        parser = _Parser(data)
        try:
            while parser.check_event():
                parser.get_event()
        finally:
            parser.dispose()


def cpu_rate(
    function: Callable[[list[tuple[str, bytes]]], object],
    files: list[tuple[str, bytes]],
    rounds: int,
) -> list[float]:
    rates = []
    for _ in range(rounds):
        started = time.process_time()
        function(files)
        rates.append(len(files) / max(time.process_time() - started, 1e-9))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print the top functions")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    files = corpus()
    valid = validate_all(files)  # warm up
    rates, cpu_rates = [], []
    for _ in range(args.rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        validate_all(files)
        rates.append(len(files) / (time.perf_counter() - started))
        cpu_rates.append(len(files) / max(time.process_time() - started_cpu, 1e-9))
    size = sum(len(data) for _, data in files) / len(files)
    print(f"corpus: {len(files)} files ({valid} valid), mean {size:.0f} bytes")
    print(
        f"machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}, Python {platform.python_version()}"
    )
    print(f"YAML parser: {_Parser.__name__}")
    print(
        f"files/s on one core: best {max(rates):.0f}, median {statistics.median(rates):.0f} "
        f"over {args.rounds} rounds (parse + groups + manifest hash)"
    )
    print(
        f"files per CPU-second (ignores time lost to other processes): best "
        f"{max(cpu_rates):.0f}, median {statistics.median(cpu_rates):.0f}"
    )
    ceiling = cpu_rate(events_only, files, args.rounds)
    print(
        f"ceiling, libyaml events alone per CPU-second: best {max(ceiling):.0f}, "
        f"median {statistics.median(ceiling):.0f}"
    )
    if hasattr(os, "getloadavg"):
        print(f"load average during the run: {os.getloadavg()[0]:.2f}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        validate_all(files)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
