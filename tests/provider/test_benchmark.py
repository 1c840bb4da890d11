"""`gpuchain-provider benchmark` (python -m provider.benchmark) and `make gpu-check` where the
host has no torch or no GPU: each says so in one line."""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provider.benchmark import TORCH_MISSING, run_benchmark

REPOSITORY = Path(__file__).resolve().parents[2]
HAS_TORCH = importlib.util.find_spec("torch") is not None


def benchmark(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provider.benchmark", *argv],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY), **(env or {})},
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(HAS_TORCH, reason="torch is installed here")
def test_without_torch_the_benchmark_says_how_to_install_it() -> None:
    done = benchmark()
    assert done.returncode == 1
    assert done.stderr.strip() == f"Error: {TORCH_MISSING}"


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (pip install -e '.[gpu]')")
def test_the_cpu_figure_is_measured_in_fp32() -> None:
    cpu = run_benchmark(min_seconds=0.2, cpu_size=256)[-1]
    assert (cpu.device, cpu.dtype) == ("cpu", "fp32") and cpu.tflops > 0
    assert cpu.attribute[0] == "benchmark/cpu/fp32-tflops"


@pytest.mark.skipif(
    ctypes.util.find_library("nvidia-ml") is not None, reason="this host has an NVIDIA driver"
)
def test_gpu_check_skips_clearly_without_a_gpu(tmp_path: Path) -> None:
    done = benchmark("--gpu-check", env={"LD_LIBRARY_PATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("gpu-check: skipped: no NVIDIA GPU on this host (no NVIDIA")
