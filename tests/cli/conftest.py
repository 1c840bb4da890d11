"""One real node (the app plus CometBFT) for the whole CLI suite, and a `gpuchain` runner."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chain.crypto import PrivateKey
from chain.keyring import Keyring
from chain.pb.cosmos.auth.v1beta1 import auth_pb2
from chain.pb.cosmos.bank.v1beta1 import query_pb2
from chain.testing import LocalNode, free_port

REPOSITORY = Path(__file__).resolve().parents[2]
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

    def run(
        self, *argv: str, stdin: str = "", node: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `gpuchain ARGV` in a fresh process without a terminal, against this node."""
        command = [
            sys.executable,
            "-m",
            "chain.cli.main",
            *argv,
            "--home",
            str(self.home),
            "--node",
            node or self.node.rpc_address,
            "--keyring-backend",
            "test",
        ]
        return subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            text=True,
            cwd=REPOSITORY,
            env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
            timeout=90,
            check=False,
        )

    def ok(self, *argv: str, stdin: str = "", node: str | None = None) -> str:
        """Run a command that must succeed; its stdout."""
        done = self.run(*argv, stdin=stdin, node=node)
        assert done.returncode == 0, (
            f"gpuchain {' '.join(argv)} failed:\n{done.stderr}{done.stdout}"
        )
        return done.stdout

    def json(self, *argv: str, stdin: str = "", node: str | None = None) -> Any:
        """Run a command that must succeed with `-o json`; its parsed output."""
        return json.loads(self.ok(*argv, "-o", "json", stdin=stdin, node=node))

    def balance(self, address: str, denom: str = "ugpc") -> int:
        """A balance read over RPC in this process (the CLI under test is not the witness)."""
        request = query_pb2.QueryBalanceRequest(address=address, denom=denom)
        result = self.node.rpc.abci_query(
            "/cosmos.bank.v1beta1.Query/Balance", request.SerializeToString()
        )
        assert int(result.get("code") or 0) == 0, result
        response = query_pb2.QueryBalanceResponse.FromString(base64.b64decode(result["value"]))
        return int(response.balance.amount)

    def account(self, key_or_address: str) -> auth_pb2.BaseAccount:
        """An account read over RPC in this process."""
        address = self.addresses.get(key_or_address, key_or_address)
        request = auth_pb2.QueryAccountRequest(address=address)
        result = self.node.rpc.abci_query(
            "/cosmos.auth.v1beta1.Query/Account", request.SerializeToString()
        )
        assert int(result.get("code") or 0) == 0, result
        response = auth_pb2.QueryAccountResponse.FromString(base64.b64decode(result["value"]))
        return auth_pb2.BaseAccount.FromString(response.account.value)

    def send(self, sender: str, recipient: str, amount: str, *flags: str) -> dict[str, Any]:
        """`tx bank send` in commit mode that must succeed; the tx response."""
        response: dict[str, Any] = self.json(
            "tx", "bank", "send", sender, recipient, amount, "--fees", FEE, "--yes", *flags
        )
        assert response["code"] == 0, response
        return response


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    node = LocalNode(tmp_path_factory.mktemp("cli-node"))
    addresses = node.init(FUNDED)
    addresses["unfunded"] = Keyring(node.home, "test").add("unfunded").address
    node.start()
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
