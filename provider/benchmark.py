"""GPU self-test: a torch matmul per device (bf16 on each GPU, fp32 on the CPU), in TFLOP/s.

`run_benchmark()` measures; `gpuchain-provider benchmark` (and `python -m provider.benchmark`)
prints one line per device and the provider attribute that can publish the figure.
`python -m provider.benchmark --gpu-check` (`make gpu-check`) runs the real GPU path end to
end: torch loads on the GPU, NVML sees the GPU, and a usage window metered while the matmul
runs reflects the load; it skips, saying why, on a host without an NVIDIA GPU.

torch is an optional extra (`pip install -e '.[gpu]'`): without it the command says so.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

GPU_SIZE: Final = 8192
CPU_SIZE: Final = 1024
MIN_SECONDS: Final = 1.0
TORCH_MISSING: Final = "torch is not installed: pip install -e '.[gpu]' to run the GPU self-test"


class BenchmarkError(Exception):
    """The self-test cannot run here; the message says why."""


@dataclass(frozen=True)
class DeviceResult:
    device: str  # "cuda:0", "cpu"
    name: str
    dtype: str
    size: int
    tflops: float

    @property
    def attribute(self) -> tuple[str, str]:
        """The provider attribute that publishes the figure (whole TFLOP/s)."""
        slot = self.device.replace(":", "")
        return f"benchmark/{slot}/{self.dtype}-tflops", str(int(self.tflops))


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise BenchmarkError(TORCH_MISSING) from None
    return torch


def _measure(torch: Any, device: str, dtype: Any, size: int, min_seconds: float) -> float:
    """TFLOP/s of size x size matmuls (2 n^3 flops each), repeated for at least min_seconds."""
    left = torch.randn(size, size, device=device, dtype=dtype)
    right = torch.randn(size, size, device=device, dtype=dtype)

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize(device)

    torch.matmul(left, right)  # warm-up: kernels chosen, memory allocated
    sync()
    runs = 0
    started = time.perf_counter()
    while True:
        torch.matmul(left, right)
        runs += 1
        if runs % 8 == 0 or not device.startswith("cuda"):
            sync()
            elapsed = time.perf_counter() - started
            if elapsed >= min_seconds:
                break
    return 2 * size**3 * runs / elapsed / 1e12


def run_benchmark(
    min_seconds: float = MIN_SECONDS, gpu_size: int = GPU_SIZE, cpu_size: int = CPU_SIZE
) -> list[DeviceResult]:
    """bf16 TFLOP/s of each CUDA device, and fp32 TFLOP/s of the CPU."""
    torch = _torch()
    results = []
    for index in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
        device = f"cuda:{index}"
        tflops = _measure(torch, device, torch.bfloat16, gpu_size, min_seconds)
        name = torch.cuda.get_device_name(index)
        results.append(DeviceResult(device, name, "bf16", gpu_size, tflops))
    cpu_tflops = _measure(torch, "cpu", torch.float32, cpu_size, min_seconds)
    results.append(
        DeviceResult("cpu", f"{torch.get_num_threads()} threads", "fp32", cpu_size, cpu_tflops)
    )
    return results


def describe(results: Sequence[DeviceResult]) -> str:
    lines = []
    for result in results:
        key, value = result.attribute
        lines.append(
            f"{result.device} ({result.name}): {result.tflops:.2f} TFLOP/s {result.dtype} "
            f"matmul {result.size}x{result.size}  [attribute {key}={value}]"
        )
    return "\n".join(lines)


# -- make gpu-check ---------------------------------------------------------------------------


def gpu_check(load_seconds: float = 5.0, sample_every_s: float = 0.25) -> str:
    """Run the real GPU path on GPU 0; a summary, or BenchmarkError saying what failed.

    Skips (returns a line starting with "skipped") where NVML finds no GPU.
    """
    from provider.metering import Meter, UsageWindow, inventory

    gpus, note = inventory()
    if not gpus:
        return f"skipped: no NVIDIA GPU on this host ({note})"
    torch = _torch()
    if not torch.cuda.is_available():
        raise BenchmarkError(f"NVML sees {len(gpus)} GPU(s) but torch cannot use CUDA")
    gpu = gpus[0]
    meter = Meter()
    idle = UsageWindow({gpu.uuid: gpu.model})
    for _ in range(4):
        idle.add(meter.sample([gpu.uuid]))
        time.sleep(sample_every_s)
    [idle_report] = idle.report()

    busy = UsageWindow({gpu.uuid: gpu.model})
    held_bytes = 4 * GPU_SIZE * GPU_SIZE * 2  # two bf16 operands, the product, a spare
    done = threading.Event()
    results: list[float] = []

    def load() -> None:
        results.append(_measure(torch, "cuda:0", torch.bfloat16, GPU_SIZE, load_seconds))
        done.set()

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    while not done.wait(sample_every_s):
        busy.add(meter.sample([gpu.uuid]))
    worker.join()
    [report] = busy.report()
    problems = []
    if report.avg_utilization_bps <= idle_report.avg_utilization_bps:
        problems.append(
            f"utilisation under load {report.avg_utilization_bps} bps is not above idle "
            f"{idle_report.avg_utilization_bps} bps"
        )
    if report.peak_memory_bytes < held_bytes // 2:
        problems.append(f"peak memory {report.peak_memory_bytes} B is below the matmul's tensors")
    if report.energy_millijoules <= 0:
        problems.append("no energy metered under load")
    summary = (
        f"GPU {gpu.uuid} {gpu.name} ({gpu.memory_bytes // 2**20} MiB, {note}): "
        f"{results[0]:.1f} TFLOP/s bf16; idle {idle_report.avg_utilization_bps} bps; "
        f"under load avg {report.avg_utilization_bps} bps, peak memory "
        f"{report.peak_memory_bytes // 2**20} MiB, energy {report.energy_millijoules} mJ over "
        f"{report.samples} samples"
    )
    if problems:
        raise BenchmarkError(summary + "\nFAILED: " + "; ".join(problems))
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpuchain-provider benchmark", description=__doc__)
    parser.add_argument("--seconds", type=float, default=MIN_SECONDS, help="time per device")
    parser.add_argument(
        "--gpu-check", action="store_true", help="run the real GPU path (make gpu-check)"
    )
    args = parser.parse_args(argv)
    try:
        if args.gpu_check:
            print(f"gpu-check: {gpu_check()}")
        else:
            print(describe(run_benchmark(args.seconds)))
    except BenchmarkError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
