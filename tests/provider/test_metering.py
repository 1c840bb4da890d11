"""GPU metering through the real pynvml against the gpu stand-in: a libnvidia-ml.so.1 built
from tests/data/nvml_standin/ with the system C compiler, found through LD_LIBRARY_PATH.
The stand-in's GPUs come from a state file the test rewrites between samples."""

from __future__ import annotations

import ctypes.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provider import runtime_testing

REPOSITORY = Path(__file__).resolve().parents[2]
H100 = "GPU-11111111-2222-3333-4444-555555555555"
A100 = "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
GIB = 2**30


@pytest.fixture(scope="module")
def standin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, reason = runtime_testing.nvml_standin(tmp_path_factory.mktemp("nvml"))
    if folder is None:
        pytest.skip(reason)
    return folder


class Driver:
    """provider/metering.py in a process of its own, with the chosen NVML library."""

    def __init__(self, library_dir: Path, state: Path) -> None:
        self.state = state
        env = {
            **os.environ,
            "PYTHONPATH": str(REPOSITORY),
            "LD_LIBRARY_PATH": str(library_dir),
            "NVML_STANDIN_STATE": str(state),
        }
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("nvml_driver.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPOSITORY,
        )

    def gpus(self, *lines: str) -> None:
        self.state.write_text("".join(f"{line}\n" for line in lines))

    def ask(self, command: str) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def driver(standin_dir: Path, tmp_path: Path) -> Iterator[Driver]:
    state = tmp_path / "gpus"
    state.write_text(
        f"{H100} NVIDIA_H100_80GB_HBM3 {80 * GIB} 0 0 1000000 60000 ok\n"
        f"{A100} NVIDIA_A100-SXM4-40GB {40 * GIB} 0 0 - 50000 ok\n"
    )
    running = Driver(standin_dir, state)
    yield running
    running.close()


def test_gpu_stand_in_inventory_lists_model_memory_uuid_and_health(driver: Driver) -> None:
    answer = driver.ask("inventory")
    gpus = {gpu["uuid"]: gpu for gpu in answer["gpus"]}
    assert gpus[H100]["model"] == "h100-80gb-hbm3" and gpus[H100]["memory_bytes"] == 80 * GIB
    assert gpus[A100]["model"] == "a100-sxm4-40gb" and gpus[A100]["healthy"]

    driver.gpus(
        f"{H100} NVIDIA_H100_80GB_HBM3 {80 * GIB} 0 0 1000000 60000 ok",
        f"{A100} NVIDIA_A100-SXM4-40GB {40 * GIB} 0 0 - 50000 lost",
    )
    answer = driver.ask("inventory")
    lost = next(gpu for gpu in answer["gpus"] if not gpu["healthy"])
    assert lost["index"] == 1 and lost["health"] == "GPU is lost"
    assert "UNHEALTHY: GPU is lost" in answer["describe"]


def test_gpu_stand_in_samples_aggregate_into_integer_usage_report_fields(
    driver: Driver,
) -> None:
    # Three samples of the H100 (energy counter) at 30 %, 90 %, 61 % utilisation.
    for util, used, energy in (
        (30, 10 * GIB, 1_000_000),
        (90, 70 * GIB, 1_450_000),
        (61, 20 * GIB, 1_900_123),
    ):
        driver.gpus(f"{H100} NVIDIA_H100_80GB_HBM3 {80 * GIB} {util} {used} {energy} 300000 ok")
        [sample] = driver.ask(f"sample {H100}")
        assert sample["utilization_bps"] == util * 100
        assert sample["memory_used_bytes"] == used and sample["power_milliwatts"] == 300000

    [report] = driver.ask("report")
    assert report == {
        "uuid": H100,
        "model": "h100-80gb-hbm3",
        "avg_utilization_bps": (3000 + 9000 + 6100) // 3,  # 6033, rounded down
        "peak_memory_bytes": 70 * GIB,
        "energy_millijoules": 900_123,  # the counter's rise over the window
        "samples": 3,
    }

    # The next window starts from the last sample: the energy between windows is kept.
    driver.gpus(f"{H100} NVIDIA_H100_80GB_HBM3 {80 * GIB} 10 {GIB} 2000000 300000 ok")
    driver.ask(f"sample {H100}")
    [report] = driver.ask("report")
    assert (report["energy_millijoules"], report["avg_utilization_bps"]) == (
        2_000_000 - 1_900_123,
        1000,
    )


def test_gpu_stand_in_without_an_energy_counter_integrates_power(driver: Driver) -> None:
    first = driver.ask(f"sample {A100}")[0]
    assert first["energy_millijoules"] is None
    second = driver.ask(f"sample {A100}")[0]
    [report] = driver.ask("report")
    elapsed_ms = second["at_ms"] - first["at_ms"]
    assert report["energy_millijoules"] == 50_000 * elapsed_ms // 1000


def test_gpu_stand_in_a_lost_or_unknown_gpu_is_named_in_the_error(driver: Driver) -> None:
    assert driver.ask("sample GPU-not-here") == {"error": "GPU GPU-not-here: Not Found"}
    driver.gpus(f"{H100} NVIDIA_H100_80GB_HBM3 {80 * GIB} 0 0 1 1 lost")
    assert driver.ask(f"sample {H100}") == {"error": f"GPU {H100}: GPU is lost"}


@pytest.mark.skipif(
    ctypes.util.find_library("nvidia-ml") is not None,
    reason="this host has a real NVIDIA driver library, so it is not a host without GPUs",
)
def test_a_host_without_an_nvidia_library_says_it_has_no_gpus(tmp_path: Path) -> None:
    empty = tmp_path / "no-driver"
    empty.mkdir()
    running = Driver(empty, tmp_path / "gpus")
    try:
        answer = running.ask("inventory")
        assert answer["gpus"] == []
        assert "no NVIDIA driver library" in answer["describe"]
        assert "has no NVIDIA GPUs" in running.ask("sample GPU-x")["error"]
    finally:
        running.close()


def test_gpu_stand_in_with_no_devices_says_nvml_found_none(
    standin_dir: Path, tmp_path: Path
) -> None:
    state = tmp_path / "gpus"
    state.write_text("")
    running = Driver(standin_dir, state)
    try:
        assert running.ask("inventory")["describe"] == "GPUs: none (NVML found no GPU on this host)"
    finally:
        running.close()
