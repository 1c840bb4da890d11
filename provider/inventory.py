"""What this host can offer: CPU, memory and storage from the operating system, GPUs from
NVML (through the runtime's `provider.metering`), less what bids and leases hold."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from provider.state import Reserved

GIB = 2**30
_TOKEN_SPLIT = re.compile(r"[\s_-]+")


@dataclass(frozen=True)
class Gpu:
    """One GPU as NVML names it ("NVIDIA A100-SXM4-80GB"), with its memory in bytes."""

    uuid: str
    name: str
    memory_bytes: int
    healthy: bool = True
    vendor: str = "nvidia"  # NVML sees NVIDIA GPUs only

    @property
    def tokens(self) -> tuple[str, ...]:
        """The lower-case words of the name: "nvidia", "a100", "sxm4", "80gb"."""
        return tuple(token for token in _TOKEN_SPLIT.split(self.name.lower()) if token)

    def matches(self, attribute_key: str) -> bool:
        """Whether this GPU satisfies an order's GPU attribute key,
        `vendor/<v>/model/<m>[/ram/<N>Gi][/interface/<i>]`."""
        parts = attribute_key.lower().split("/")
        if len(parts) < 4 or parts[0] != "vendor" or parts[2] != "model":
            return False
        vendor, model = parts[1], parts[3]
        if vendor != self.vendor or (model != "*" and model not in self.tokens):
            return False
        details = dict(zip(parts[4::2], parts[5::2], strict=False))
        ram = details.get("ram", "").removesuffix("gi")
        if ram.isdigit() and (self.memory_bytes + GIB // 2) // GIB < int(ram):
            return False
        interface = details.get("interface")
        return interface is None or any(token.startswith(interface) for token in self.tokens)


@dataclass(frozen=True)
class Inventory:
    """Capacity (totals) and what is free after reservations."""

    cpu_millis: int
    memory: int
    storage: int
    gpus: tuple[Gpu, ...]
    gpu_note: str  # where the GPU list came from, or why there are none

    def free(self, reserved: Reserved) -> Inventory:
        """The capacity left once what is reserved is taken out (GPUs by UUID)."""
        return replace(
            self,
            cpu_millis=self.cpu_millis - reserved.cpu_millis,
            memory=self.memory - reserved.memory,
            storage=self.storage - reserved.storage,
            gpus=tuple(gpu for gpu in self.gpus if gpu.uuid not in reserved.gpus and gpu.healthy),
        )

    def summary(self) -> str:
        gpus = ", ".join(f"{gpu.name} {gpu.uuid}" for gpu in self.gpus) or "none"
        return (
            f"cpu {self.cpu_millis}m, memory {self.memory // GIB}GiB, "
            f"storage {self.storage // GIB}GiB, GPUs: {gpus} ({self.gpu_note})"
        )


def host_inventory(data_dir: Path, gpus: Sequence[Gpu], gpu_note: str) -> Inventory:
    """This host's CPUs, physical memory and the free disk under data_dir, with gpus."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return Inventory(
        cpu_millis=(os.cpu_count() or 1) * 1000,
        memory=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        storage=shutil.disk_usage(data_dir).free,
        gpus=tuple(gpus),
        gpu_note=gpu_note,
    )


def detect_gpus() -> tuple[list[Gpu], str]:
    """This host's GPUs through NVML, and where the list came from (or why it is empty)."""
    try:
        from provider import metering  # the runtime's NVML metering (nvidia-ml-py)
    except ImportError:
        return [], "no GPU inventory: NVML metering (nvidia-ml-py) is not installed"
    gpus, note = metering.inventory()
    return [Gpu(gpu.uuid, gpu.name, gpu.memory_bytes, gpu.healthy) for gpu in gpus], note
