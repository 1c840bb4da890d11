"""GPU inventory and usage metering through NVML (nvidia-ml-py), aggregated in integers.

`inventory()` lists the host's GPUs (model, memory, UUID, health) and where the list came
from, or why there are none (no driver library, no device). `Meter.sample(uuids)` reads
each assigned GPU's utilisation, memory in use, energy counter and power draw.
`UsageWindow` folds a lease's samples into the fields of `MsgReportUsage`'s `GpuUsage`
(x/market): the mean utilisation in basis points (rounded down), the peak memory, and the
energy used in millijoules, from the driver's energy counter where the GPU has one and
from power times elapsed time where it does not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pynvml

BPS_PER_PERCENT: Final = 100
MAX_UTILIZATION_BPS: Final = 10_000
NO_LIBRARY: Final = "no NVIDIA driver library (libnvidia-ml.so.1): this host has no NVIDIA GPUs"


class MeteringError(Exception):
    """NVML could not be read; the message names the GPU and NVML's error."""


def model_key(name: str) -> str:
    """The model as attributes name it: "NVIDIA H100 80GB HBM3" -> "h100-80gb-hbm3"."""
    words = name.lower().replace("nvidia", " ").replace("geforce", " ").split()
    return "-".join(words)


@dataclass(frozen=True)
class GpuInfo:
    """One GPU of the host; `health` is "ok" or NVML's reason it cannot be used."""

    index: int
    uuid: str
    name: str
    memory_bytes: int
    health: str = "ok"

    @property
    def model(self) -> str:
        return model_key(self.name)

    @property
    def healthy(self) -> bool:
        return self.health == "ok"


def describe(gpus: Sequence[GpuInfo], note: str) -> str:
    """One line for the daemon's start and `status`: the GPUs, or why there are none."""
    if not gpus:
        return f"GPUs: none ({note})"
    parts = [
        f"{gpu.uuid} {gpu.name} {gpu.memory_bytes // 2**20} MiB"
        + ("" if gpu.healthy else f" UNHEALTHY: {gpu.health}")
        for gpu in gpus
    ]
    return f"GPUs ({note}): " + "; ".join(parts)


@dataclass(frozen=True)
class GpuSample:
    """One reading of one GPU; the counters NVML does not support are None."""

    uuid: str
    at_ms: int  # monotonic clock of this host, milliseconds
    utilization_bps: int
    memory_used_bytes: int
    energy_millijoules: int | None
    power_milliwatts: int | None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


_init_lock = threading.Lock()
_init_count = 0


def _init() -> str:
    """Load and initialise NVML once per process; "" or why it cannot be."""
    global _init_count
    with _init_lock:
        if _init_count:
            return ""
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError_LibraryNotFound:
            return NO_LIBRARY
        except pynvml.NVMLError as error:
            return f"NVML did not initialise: {error}"
        _init_count += 1
        return ""


def _optional(read: Any, *args: Any) -> int | None:
    try:
        return int(read(*args))
    except pynvml.NVMLError_NotSupported:
        return None


def inventory() -> tuple[list[GpuInfo], str]:
    """The host's GPUs as NVML sees them, and where the list came from or why it is empty.

    A GPU NVML cannot query is listed, unhealthy, with NVML's reason.
    """
    reason = _init()
    if reason:
        return [], reason
    try:
        driver = _text(pynvml.nvmlSystemGetDriverVersion())
        count = pynvml.nvmlDeviceGetCount()
    except pynvml.NVMLError as error:
        return [], f"NVML cannot list GPUs: {error}"
    gpus = []
    for index in range(count):
        try:
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        except pynvml.NVMLError as error:
            gpus.append(GpuInfo(index, "", "", 0, health=str(error)))
            continue
        uuid = name = ""
        try:
            uuid = _text(pynvml.nvmlDeviceGetUUID(handle))
            name = _text(pynvml.nvmlDeviceGetName(handle))
            memory = int(pynvml.nvmlDeviceGetMemoryInfo(handle).total)
            pynvml.nvmlDeviceGetUtilizationRates(handle)
        except pynvml.NVMLError as error:
            gpus.append(GpuInfo(index, uuid, name, 0, health=str(error)))
            continue
        gpus.append(GpuInfo(index, uuid, name, memory))
    if not gpus:
        return [], "NVML found no GPU on this host"
    return gpus, f"NVML, driver {driver}"


class Meter:
    """Samples of the GPUs a lease holds, by UUID."""

    def __init__(self) -> None:
        reason = _init()
        if reason:
            raise MeteringError(reason)

    def sample(self, uuids: Sequence[str]) -> list[GpuSample]:
        """One reading of each GPU, in the order asked; MeteringError naming a GPU that fails."""
        samples = []
        for uuid in uuids:
            try:
                handle = pynvml.nvmlDeviceGetHandleByUUID(uuid)
                utilization = pynvml.nvmlDeviceGetUtilizationRates(handle)
                memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
                energy = _optional(pynvml.nvmlDeviceGetTotalEnergyConsumption, handle)
                power = _optional(pynvml.nvmlDeviceGetPowerUsage, handle)
            except pynvml.NVMLError as error:
                raise MeteringError(f"GPU {uuid}: {error}") from None
            samples.append(
                GpuSample(
                    uuid=uuid,
                    at_ms=time.monotonic_ns() // 1_000_000,
                    utilization_bps=min(
                        int(utilization.gpu) * BPS_PER_PERCENT, MAX_UTILIZATION_BPS
                    ),
                    memory_used_bytes=int(memory.used),
                    energy_millijoules=energy,
                    power_milliwatts=power,
                )
            )
        return samples


@dataclass(frozen=True)
class GpuUsageReport:
    """The integers of x/market's `GpuUsage` for one GPU over one report window."""

    uuid: str
    model: str
    avg_utilization_bps: int
    peak_memory_bytes: int
    energy_millijoules: int
    samples: int


@dataclass
class _GpuWindow:
    samples: int = 0
    utilization_bps_total: int = 0
    peak_memory_bytes: int = 0
    energy_millijoules: int = 0
    last: GpuSample | None = None


@dataclass
class UsageWindow:
    """A lease's samples since its last report, folded as they come; integer math only."""

    models: dict[str, str]  # uuid -> model key
    gpus: dict[str, _GpuWindow] = field(default_factory=dict)

    def add(self, samples: Sequence[GpuSample]) -> None:
        for sample in samples:
            window = self.gpus.setdefault(sample.uuid, _GpuWindow())
            window.samples += 1
            window.utilization_bps_total += sample.utilization_bps
            window.peak_memory_bytes = max(window.peak_memory_bytes, sample.memory_used_bytes)
            window.energy_millijoules += self._energy_since(window.last, sample)
            window.last = sample

    @staticmethod
    def _energy_since(last: GpuSample | None, sample: GpuSample) -> int:
        """Energy between two samples: the counter's rise, else power times elapsed time."""
        if last is None:
            return 0
        if (
            last.energy_millijoules is not None
            and sample.energy_millijoules is not None
            and sample.energy_millijoules >= last.energy_millijoules  # not a driver reload
        ):
            return sample.energy_millijoules - last.energy_millijoules
        if sample.power_milliwatts is None:
            return 0
        return sample.power_milliwatts * max(sample.at_ms - last.at_ms, 0) // 1000

    def report(self) -> list[GpuUsageReport]:
        """This window's figures per GPU (sorted by UUID), and a new window from here.

        The last sample stays as the baseline, so no energy between windows is lost.
        """
        reports = []
        for uuid, window in sorted(self.gpus.items()):
            reports.append(
                GpuUsageReport(
                    uuid=uuid,
                    model=self.models.get(uuid, ""),
                    avg_utilization_bps=window.utilization_bps_total // window.samples
                    if window.samples
                    else 0,
                    peak_memory_bytes=window.peak_memory_bytes,
                    energy_millijoules=window.energy_millijoules,
                    samples=window.samples,
                )
            )
            self.gpus[uuid] = _GpuWindow(last=window.last)
        return reports
