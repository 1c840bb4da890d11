"""`python -m localnet.run` (what `make localnet`, `localnet-status` and `localnet-stop`
run), on a folder and ports of its own: it returns with four validators making blocks,
reports them, reuses the homes, stops from another process, and refuses busy ports and
broken homes with a message that says what to do."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from network_helpers import REPO

from chain.rpc import CometRpc, RpcError
from localnet.run import port_in_use


def free_base() -> int:
    """A base port b with b + 10·i + {0, ..., 4} free for i < 4 (p2p, RPC, gRPC, metrics,
    REST API)."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000, 10)
        if all(not port_in_use(base + 10 * i + k) for i in range(4) for k in range(5)):
            return base
    raise RuntimeError("no free block of ports")


class Localnet:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.base = free_base()

    def run(self, *flags: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "localnet.run",
                *flags,
                "--data",
                str(self.data),
                "--base-port",
                str(self.base),
                "--grpc-base-port",
                str(self.base + 2),
                "--metrics-base-port",
                str(self.base + 3),
                "--api-base-port",
                str(self.base + 4),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def rpc(self, index: int) -> CometRpc:
        return CometRpc(f"tcp://127.0.0.1:{self.base + 10 * index + 1}", timeout=3)

    def pids(self) -> list[int]:
        path = self.data / "localnet.pids"
        return [int(r["pid"]) for r in json.loads(path.read_text()).values()]


def process_exists(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    net = Localnet(tmp_path_factory.mktemp("localnet") / "data")
    try:
        yield net
    finally:
        if (net.data / "localnet.pids").exists():
            pids = net.pids()
            net.run("--stop", timeout=60)
            for pid in pids:  # belt and braces: nothing of ours may outlive the suite
                if process_exists(pid):
                    os.killpg(pid, 9)


def test_start_returns_with_four_validators_making_blocks(localnet: Localnet) -> None:
    started = localnet.run()
    assert started.returncode == 0, started.stderr
    out = started.stdout
    assert "4 validators making blocks" in out
    for index in range(4):
        assert f"validator{index}  RPC http://127.0.0.1:{localnet.base + 10 * index + 1}" in out
    assert "alice  gpu1" in out and "bob  gpu1" in out
    assert f"--home {localnet.data}/validator0 --keyring-backend test" in out
    assert len(localnet.pids()) == 4
    assert all(process_exists(pid) for pid in localnet.pids())
    height = localnet.rpc(0).latest_height()
    localnet.rpc(3).wait_for_height(height + 2, timeout=30)
    for index in range(4):
        log = localnet.data / f"validator{index}"
        assert (log / "app.log").stat().st_size > 0
        assert (log / "cometbft.log").stat().st_size > 0


def test_start_again_while_running_only_reports(localnet: Localnet) -> None:
    pids = localnet.pids()
    again = localnet.run()
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert localnet.pids() == pids


def test_status_shows_height_peers_and_set_membership(localnet: Localnet) -> None:
    deadline = time.monotonic() + 20
    status = localnet.run("--status")
    while status.stdout.count("3 peers") < 4 and time.monotonic() < deadline:
        time.sleep(0.5)  # every node makes blocks with two peers; wait for the third
        status = localnet.run("--status")
    assert status.returncode == 0, status.stdout + status.stderr
    lines = status.stdout.splitlines()
    assert len(lines) == 4
    for index, line in enumerate(lines):
        assert line.startswith(f"validator{index}: height ")
        assert "3 peers, in the validator set" in line


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
    assert down.returncode == 1 and down.stdout.count(": down (") == 4


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
