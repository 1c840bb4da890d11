"""cosmpy, unmodified from PyPI, drives a real node as it drives any Cosmos chain: balances,
validators, a send, a delegation and a rewards claim, each landing to the ugpc.

cosmpy cannot share gpuchain's environment (it needs protobuf<6 and PyNaCl 1.6.0; gpuchain
pins protobuf 7 and PyNaCl 1.6.2), so it runs in a virtualenv of its own, built once from
the pinned tests/data/cosmpy/requirements.txt into .venv-cosmpy (rebuilt when that file
changes), and reports what it saw as JSON.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.crypto import encode_validator_address
from chain.keyring import Keyring
from chain.testing import LocalNode

REPO = Path(__file__).resolve().parents[2]
COSMPY = REPO / "tests" / "data" / "cosmpy"
VENV = REPO / ".venv-cosmpy"


def cosmpy_python() -> Path:
    """The cosmpy virtualenv's interpreter, installed from the pinned requirements."""
    requirements = COSMPY / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = VENV / ".installed"
    python = VENV / "bin" / "python"
    if not (stamp.exists() and stamp.read_text() == digest):
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)],
            check=True,
            timeout=600,
        )
        stamp.write_text(digest)
    return python


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    running = LocalNode(tmp_path_factory.mktemp("cosmpy") / "home")
    running.init({"alice": "100000000ugpc"})
    running.start()
    yield running
    running.stop()


def test_cosmpy_queries_sends_delegates_and_claims_rewards(node: LocalNode) -> None:
    alice = Keyring(node.home, "test").private_key("alice")
    assert alice.algo == "secp256k1"
    info = {"chain_id": node.chain_id, "grpc": node.grpc_port, "funder_secret": alice.seed.hex()}

    ran = subprocess.run(
        [str(cosmpy_python()), str(COSMPY / "wallet_day.py"), json.dumps(info)],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert ran.returncode == 0, ran.stderr[-4000:]
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen["funder"] == alice.bech32_address
    assert seen["funder_balance"] == 100_000_000
    assert seen["mine_funded"] == 20_000_000
    operator = Keyring(node.home, "test").private_key(LocalNode.OPERATOR_KEY).address
    assert seen["validators"] == [encode_validator_address(operator)]
    assert seen["other_balance"] == 1234
    assert seen["mine_after_send"] == 20_000_000 - 1234 - seen["send_fee"]
    assert seen["mine_after_delegate"] == seen["mine_after_send"] - 5_000_000 - seen["delegate_fee"]
    assert seen["staked"] == 5_000_000
    assert seen["claimed"] > 0
    assert seen["after_claim"] == seen["before_claim"] + seen["claimed"] - seen["claim_fee"]
