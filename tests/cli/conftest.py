"""One real node (the app plus CometBFT) for the whole CLI suite, and a `gpuchain` runner."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chain.crypto import PrivateKey
from chain.keyring import Keyring
from chain.pb.cosmos.auth.v1beta1 import auth_pb2
from chain.pb.cosmos.auth.v1beta1 import query_pb2 as auth_query_pb2
from chain.pb.cosmos.bank.v1beta1 import query_pb2
from chain.rpc import CometRpc
from chain.testing import LocalNode, free_port

REPOSITORY = Path(__file__).resolve().parents[2]
ENVIRONMENT = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
FEE = "200ugpc"  # the node's minimum gas price (0.001ugpc) times the default 200000 gas
FUNDED = {
    "alice": "1000000000ugpc",  # pays for most tests
    "bob": "5ugpc",  # cannot even pay a fee
    "carol": "10000ugpc",  # can pay fees, not large sends
    "offline": "1000000ugpc",  # signs offline with an explicit account number and sequence
    "sender": "1000000ugpc",  # multi-send and confirmation tests
}


@dataclass
class Chain:
    """A running node, its home (with a test keyring) and the addresses of its keys."""

    node: LocalNode
    addresses: dict[str, str]

    @property
    def home(self) -> Path:
        return self.node.home

    def command(
        self, argv: Sequence[str], node: str | None = None, home: Path | None = None
    ) -> list[str]:
        """The `gpuchain` command line; node and home default to this node's."""
        return [
            sys.executable,
            "-m",
            "chain.cli.main",
            *argv,
            "--home",
            str(home or self.home),
            "--node",
            node or self.node.rpc_address,
            "--keyring-backend",
            "test",
        ]

    def run(
        self, *argv: str, stdin: str = "", node: str | None = None, home: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `gpuchain ARGV` in a fresh process without a terminal, against this node."""
        return subprocess.run(
            self.command(argv, node, home),
            input=stdin,
            capture_output=True,
            text=True,
            cwd=REPOSITORY,
            env=ENVIRONMENT,
            timeout=90,
            check=False,
        )

    def spawn(
        self, argv: Sequence[str], stdin: int = subprocess.DEVNULL, node: str | None = None
    ) -> subprocess.Popen[str]:
        """Start `gpuchain ARGV` with the given stdin (e.g. a pseudo-terminal); pipes out."""
        return subprocess.Popen(
            self.command(argv, node),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPOSITORY,
            env=ENVIRONMENT,
        )

    def run_all(
        self, *commands: Sequence[str], node: str | None = None
    ) -> list[subprocess.CompletedProcess[str]]:
        """Run independent `gpuchain` commands side by side (each start costs ~0.5 s of imports)."""
        processes = [self.spawn(argv, node=node) for argv in commands]
        return [self.finish(process) for process in processes]

    @staticmethod
    def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
        """Wait for a spawned command; its exit code and output."""
        stdout, stderr = process.communicate(timeout=90)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def ok(
        self, *argv: str, stdin: str = "", node: str | None = None, home: Path | None = None
    ) -> str:
        """Run a command that must succeed; its stdout."""
        done = self.run(*argv, stdin=stdin, node=node, home=home)
        assert done.returncode == 0, (
            f"gpuchain {' '.join(argv)} failed:\n{done.stderr}{done.stdout}"
        )
        return done.stdout

    def json(
        self, *argv: str, stdin: str = "", node: str | None = None, home: Path | None = None
    ) -> Any:
        """Run a command that must succeed with `-o json`; its parsed output."""
        return json.loads(self.ok(*argv, "-o", "json", stdin=stdin, node=node, home=home))

    def balance(self, address: str, denom: str = "ugpc") -> int:
        """A balance read over RPC in this process (the CLI under test is not the witness)."""
        return self.balance_at(address, denom)[1]

    def balance_at(self, address: str, denom: str = "ugpc") -> tuple[int, int]:
        """(height, amount): a balance and the committed height it was read at."""
        request = query_pb2.QueryBalanceRequest(address=address, denom=denom)
        result = self.node.rpc.abci_query(
            "/cosmos.bank.v1beta1.Query/Balance", request.SerializeToString()
        )
        assert int(result.get("code") or 0) == 0, result
        response = query_pb2.QueryBalanceResponse.FromString(base64.b64decode(result["value"]))
        return int(result["height"]), int(response.balance.amount)

    def account(self, key_or_address: str) -> auth_pb2.BaseAccount:
        """An account read over RPC in this process."""
        address = self.addresses.get(key_or_address, key_or_address)
        request = auth_query_pb2.QueryAccountRequest(address=address)
        result = self.node.rpc.abci_query(
            "/cosmos.auth.v1beta1.Query/Account", request.SerializeToString()
        )
        assert int(result.get("code") or 0) == 0, result
        response = auth_query_pb2.QueryAccountResponse.FromString(base64.b64decode(result["value"]))
        return auth_pb2.BaseAccount.FromString(response.account.value)

    def send(self, sender: str, recipient: str, amount: str, *flags: str) -> dict[str, Any]:
        """`tx bank send` in commit mode that must succeed; the tx response."""
        response: dict[str, Any] = self.json(
            "tx", "bank", "send", sender, recipient, amount, "--fees", FEE, "--yes", *flags
        )
        assert response["code"] == 0, response
        return response


def start_node(base: Path) -> tuple[LocalNode, dict[str, str]]:
    """A started node with FUNDED at genesis and an `unfunded` key the chain has never seen."""
    node = LocalNode(base)
    addresses = node.init(FUNDED)
    # Usage reports are sent by hand here: no lease may fault while a test looks at it.
    node.set_genesis_params("market", report_interval_blocks=100_000)
    addresses["unfunded"] = Keyring(node.home, "test").add("unfunded").address
    node.start()
    wait_for_app_commit(node.rpc, height=1)
    return node, addresses


def wait_for_app_commit(rpc: CometRpc, height: int, timeout: float = 30) -> None:
    """Wait until the app itself has committed height.

    CometBFT's status counts a block once it is stored, which is before the app commits
    it; until then queries see the state before genesis (no accounts at all).
    """
    deadline = time.monotonic() + timeout
    while int(rpc.call("abci_info")["response"].get("last_block_height") or 0) < height:
        assert time.monotonic() < deadline, f"the app did not commit height {height} in {timeout}s"
        time.sleep(0.05)


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    try:
        node, addresses = start_node(tmp_path_factory.mktemp("cli-node"))
    except RuntimeError as error:
        # A start that dies is retried once, loudly, so one bad start does not sink the suite.
        failed_log = Path(str(error).rsplit("see ", 1)[-1])
        tail = failed_log.read_text(errors="replace")[-2000:] if failed_log.is_file() else ""
        warnings.warn(f"node start failed, retrying once: {error}\n{tail}", stacklevel=1)
        node, addresses = start_node(tmp_path_factory.mktemp("cli-node-retry"))
    try:
        yield Chain(node, addresses)
    finally:
        node.stop()


@pytest.fixture
def stranger() -> str:
    """A fresh address no key in the keyring owns and the chain has never seen."""
    return PrivateKey.generate().bech32_address


@pytest.fixture(scope="session")
def no_node() -> str:
    """An RPC address nothing listens on, to show a command needs no node."""
    return f"tcp://127.0.0.1:{free_port()}"
