"""One node as a process: `gpuchain start --home HOME` in its own process group, its output
in one log file. The test nodes, the network tests and `make localnet` all run nodes this way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chain.rpc import CometRpc, RpcError

# `gpuchain start` forks CometBFT (with a preexec_fn) after its gRPC server is up; gRPC's
# fork handlers then sometimes abort the child before it execs (SIGABRT, "epoll_wait error:
# Bad file descriptor" in cometbft.log; grpc/grpc#43055, grpcio >= 1.81). Without fork
# support gRPC leaves the child alone.
NODE_ENV = {"GRPC_ENABLE_FORK_SUPPORT": "false"}
REPO = Path(__file__).resolve().parent.parent


class NodeExited(RuntimeError):
    """The node process ended while something waited for it; the message names its log."""

    def __init__(self, returncode: int, log_path: Path) -> None:
        super().__init__(f"node exited with {returncode}; see {log_path}")
        self.returncode = returncode


@dataclass
class NodeProcess:
    """A node's process: start it, wait for a height, stop or kill it (with its CometBFT)."""

    home: Path
    rpc: CometRpc
    log_path: Path
    source: Path = REPO  # the tree whose `chain` and `x` the node runs
    process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str] | None = None) -> None:
        """Start the node in a new session (a terminal's Ctrl-C does not reach it)."""
        if self.alive():
            raise RuntimeError(f"the node in {self.home} is already running")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chain.cli.main", "start", "--home", str(self.home)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.source,
                env={**os.environ, **NODE_ENV, **(env or {})},
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def reached(self, height: int) -> bool:
        """Whether CometBFT has stored height; raises NodeExited if the process ended."""
        if self.process is not None and self.process.poll() is not None:
            raise NodeExited(self.process.returncode, self.log_path)
        with contextlib.suppress(RpcError):
            return self.rpc.latest_height() >= height
        return False

    def wait_for_height(self, height: int, timeout: float = 60.0) -> None:
        """Raises NodeExited, or TimeoutError when height is not reached within timeout."""
        deadline = time.monotonic() + timeout
        while not self.reached(height):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"height {height} not reached in {timeout:.0f}s; see {self.log_path}"
                )
            time.sleep(0.1)

    def terminate(self) -> None:
        """Ask the node to stop (SIGTERM) without waiting, so several stop in parallel."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait, then kill the process group if it is still there; returns the
        exit code (0 when it was not running)."""
        if self.process is None:
            return 0
        self.terminate()
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return self.kill()
        # Its CometBFT dies with it (PDEATHSIG); make sure nothing of the group outlives it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None
        return code

    def kill(self) -> int:
        """kill -9 the app and CometBFT together (the whole process group)."""
        if self.process is None:
            return 0
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        code = self.process.wait()
        self.process = None
        return code
