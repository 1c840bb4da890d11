"""`python -m localnet.run` (what `make localnet`, `localnet-status` and `localnet-stop`
run), on a folder and ports of its own: it returns with four validators making blocks,
reports them, reuses the homes, stops from another process, and refuses busy ports and
broken homes with a message that says what to do."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from network_helpers import REPO, Localnet, process_exists

from chain.rpc import RpcError


@pytest.fixture(scope="module")
def localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    net = Localnet(tmp_path_factory.mktemp("localnet") / "data", providers=0)
    try:
        yield net
    finally:
        net.stop()


def test_start_returns_with_four_validators_making_blocks(localnet: Localnet) -> None:
    started = localnet.run()
    assert started.returncode == 0, started.stderr
    out = started.stdout
    assert "4 validators making blocks" in out
    for index in range(4):
        assert f"validator{index}  RPC http://127.0.0.1:{localnet.base + 10 * index + 1}" in out
    assert "alice  gpu1" in out and "bob  gpu1" in out
    assert f"(use with --home {localnet.data}/validator0)" in out
    assert len(localnet.pids()) == 4
    assert all(process_exists(pid) for pid in localnet.pids())
    height = localnet.rpc(0).latest_height()
    localnet.rpc(3).wait_for_height(height + 2, timeout=30)
    for index in range(4):
        log = localnet.data / f"validator{index}"
        assert (log / "app.log").stat().st_size > 0
        assert (log / "cometbft.log").stat().st_size > 0

    # The printed example needs only --home: the home's client.toml gives the rest.
    (example,) = [line for line in out.splitlines() if line.startswith("try: ")]
    argv = example.removeprefix("try: .venv/bin/gpuchain ").split()
    sent = subprocess.run(
        [sys.executable, "-m", "chain.cli.main", *argv, "-o", "json"],
        cwd=REPO, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["code"] == 0


def test_start_again_while_running_only_reports(localnet: Localnet) -> None:
    pids = localnet.pids()
    again = localnet.run()
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert "reusing the existing chain" in again.stdout and "make localnet-reset" in again.stdout
    assert localnet.pids() == pids


def test_status_shows_height_peers_and_set_membership(localnet: Localnet) -> None:
    deadline = time.monotonic() + 20
    status = localnet.run("--status")
    while status.stdout.count("running, height") < 4 and time.monotonic() < deadline:
        time.sleep(0.5)  # every node makes blocks with two peers; wait for the third
        status = localnet.run("--status")
    assert status.returncode == 0, status.stdout + status.stderr
    lines = status.stdout.splitlines()
    assert len(lines) == 4
    for index, line in enumerate(lines):
        assert line.startswith(f"validator{index}: running, height ")
        assert "peers, in the validator set" in line


def node_group(localnet: Localnet, index: int) -> int:
    """The process group of validator index (its `gpuchain start` leads it)."""
    return json.loads((localnet.data / "localnet.pids").read_text())[f"validator{index}"]["pid"]


def wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while process_exists(pid):
        assert time.monotonic() < deadline, f"pid {pid} still there after {timeout}s"
        time.sleep(0.1)


def test_a_killed_validator_is_reported_stopped_and_start_brings_only_it_back(
    localnet: Localnet,
) -> None:
    before = json.loads((localnet.data / "localnet.pids").read_text())
    killed = node_group(localnet, 3)
    os.killpg(killed, signal.SIGKILL)
    wait_gone(killed)

    half_dead = localnet.run("--status")
    restarted = localnet.run()
    after = json.loads((localnet.data / "localnet.pids").read_text())
    deadline = time.monotonic() + 30
    healthy = localnet.run("--status")
    while healthy.returncode != 0 and time.monotonic() < deadline:
        healthy = localnet.run("--status")  # the restarted node may still be catching up

    assert half_dead.returncode == 1
    lines = half_dead.stdout.splitlines()
    assert lines[3].startswith("validator3: stopped (no process")
    assert all(
        line.startswith(f"validator{i}: running, height ") for i, line in enumerate(lines[:3])
    )
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert "kept running: validator0, validator1, validator2; restarting: validator3" in (
        restarted.stdout
    )
    assert "4 validators making blocks" in restarted.stdout
    assert {name: after[name] for name in ("validator0", "validator1", "validator2")} == {
        name: before[name] for name in ("validator0", "validator1", "validator2")
    }
    assert after["validator3"]["pid"] != killed and process_exists(after["validator3"]["pid"])
    assert healthy.returncode == 0, healthy.stdout
    assert healthy.stdout.count(": running, height ") == 4


def test_a_frozen_validator_is_reported_running_but_stalled(localnet: Localnet) -> None:
    frozen = node_group(localnet, 2)
    os.killpg(frozen, signal.SIGSTOP)
    try:
        status = localnet.run("--status")
    finally:
        os.killpg(frozen, signal.SIGCONT)

    assert status.returncode == 1
    lines = status.stdout.splitlines()
    assert lines[2].startswith("validator2: running but stalled")
    assert lines[0].startswith("validator0: running, height ")


def test_stop_from_another_process_ends_every_process(localnet: Localnet) -> None:
    pids = localnet.pids()
    stopped = localnet.run("--stop", timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.count(": stopped (pid") == 4
    assert not (localnet.data / "localnet.pids").exists()
    assert not any(process_exists(pid) for pid in pids)
    with pytest.raises(RpcError):
        localnet.rpc(0).status()
    assert "no localnet is running" in localnet.run("--stop").stdout
    down = localnet.run("--status")
    assert down.returncode == 1 and down.stdout.count(": stopped (no process") == 4


def test_a_second_start_reuses_the_homes_and_continues_the_chain(localnet: Localnet) -> None:
    last = json.loads((localnet.data / "validator0/data/priv_validator_state.json").read_text())
    restarted = localnet.run()
    assert restarted.returncode == 0, restarted.stderr
    assert "created a new chain" not in restarted.stdout
    assert localnet.rpc(0).latest_height() > int(last["height"])
    assert localnet.run("--stop", timeout=60).returncode == 0


def test_a_busy_port_is_named_and_nothing_starts(localnet: Localnet) -> None:
    rpc_port = localnet.base + 10 * 2 + 1
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", rpc_port))
        squatter.listen()
        refused = localnet.run()
    assert refused.returncode == 1
    assert f"port already in use: {rpc_port} (validator2 rpc)" in refused.stderr
    assert not (localnet.data / "localnet.pids").exists()


def test_a_broken_home_is_named(localnet: Localnet) -> None:
    key = localnet.data / "validator1/config/priv_validator_key.json"
    key.rename(key.with_suffix(".moved"))
    try:
        refused = localnet.run()
    finally:
        key.with_suffix(".moved").rename(key)
    assert refused.returncode == 1
    assert f"{key} is missing" in refused.stderr
    assert "remove" in refused.stderr


def test_stop_kills_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(15, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
        started = Path(f"/proc/{stubborn.pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
        records = {"validator0": {"pid": stubborn.pid, "started": started}}
        (tmp_path / "localnet.pids").write_text(json.dumps(records))
        script = (
            "from pathlib import Path; from localnet.run import stop; "
            f"stop(Path({str(tmp_path)!r}), timeout=1.0)"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
        assert f"validator0: killed (pid {stubborn.pid} ignored SIGTERM for 1s)" in result.stdout
        assert stubborn.wait(timeout=5) == -9
    finally:
        if stubborn.poll() is None:
            stubborn.kill()
        stubborn.wait()
