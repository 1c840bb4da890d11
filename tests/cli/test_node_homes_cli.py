"""`gpuchain init` and `gpuchain testnet`: who holds a new validator's funds, and what a
fresh home exposes. These need no running node."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from chain.config import Home, consensus_key
from chain.crypto import decode_address, encode_validator_address
from chain.pb.cosmos.crypto.ed25519 import keys_pb2
from chain.pb.cosmos.staking.v1beta1 import tx_pb2 as staking_tx_pb2
from chain.pb.cosmos.tx.v1beta1 import tx_pb2

REPOSITORY = Path(__file__).resolve().parents[2]


def gpuchain(*argv: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`gpuchain ARGV [--home HOME --keyring-backend test]` in a fresh process."""
    command = [sys.executable, "-m", "chain.cli.main", *argv]
    if home is not None:
        command.extend(["--home", str(home), "--keyring-backend", "test"])
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=90,
        check=False,
    )


def gentx_of(genesis: dict[str, Any]) -> tuple[staking_tx_pb2.MsgCreateValidator, bytes]:
    """The one gentx's MsgCreateValidator and the public key that signed it."""
    (encoded,) = genesis["app_state"]["genutil"]["gen_txs"]
    raw = tx_pb2.TxRaw.FromString(base64.b64decode(encoded))
    (message,) = tx_pb2.TxBody.FromString(raw.body_bytes).messages
    (signer,) = tx_pb2.AuthInfo.FromString(raw.auth_info_bytes).signer_infos
    return (
        staking_tx_pb2.MsgCreateValidator.FromString(message.value),
        keys_pb2.PubKey.FromString(signer.public_key.value).key,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_from_a_key_funds_that_key_and_never_the_consensus_key(tmp_path: Path) -> None:
    home = tmp_path / "nodes" / "one"
    # The keyring makes the home here, before `init` does: it must still be private.
    added = gpuchain("keys", "add", "operator", "-o", "json", home=home)
    assert added.returncode == 0, added.stderr
    operator = json.loads(added.stdout)

    done = gpuchain("init", "one", "--chain-id", "home-1", "--from", "operator", home=home)

    assert done.returncode == 0, done.stderr
    genesis = json.loads(Home(home).genesis.read_text())
    node_key = consensus_key(Home(home))
    holders = [entry["address"] for entry in genesis["app_state"]["bank"]["balances"]]
    assert holders == [operator["address"]]
    assert node_key.bech32_address not in holders
    message, signer = gentx_of(genesis)
    assert message.validator_address == encode_validator_address(
        decode_address(operator["address"])
    )
    assert keys_pb2.PubKey.FromString(message.pubkey.value).key == node_key.public_key
    assert signer == base64.b64decode(json.loads(operator["pubkey"])["key"])
    assert mode(home) == 0o700 and mode(home.parent) == 0o700


def test_init_keeps_cometbfts_public_network_p2p_defaults(tmp_path: Path) -> None:
    home = tmp_path / "node"

    done = gpuchain("init", "node", "--chain-id", "home-1", home=home)

    assert done.returncode == 0, done.stderr
    assert "No validator yet" in done.stderr
    p2p = tomllib.loads(Home(home).comet_config.read_text())["p2p"]
    assert p2p["allow_duplicate_ip"] is False
    assert p2p["addr_book_strict"] is True
    assert json.loads(Home(home).genesis.read_text())["app_state"]["genutil"]["gen_txs"] == []
    assert mode(home) == 0o700


def test_init_from_an_unknown_key_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "node"

    done = gpuchain("init", "node", "--chain-id", "home-1", "--from", "nobody", home=home)

    assert done.returncode == 1
    assert "unknown key" in done.stderr and "keys add nobody" in done.stderr
    assert not Home(home).genesis.exists()


def test_testnet_homes_allow_local_peers_and_bond_from_operator_keys(tmp_path: Path) -> None:
    output = tmp_path / "net"
    done = gpuchain("testnet", "--validators", "2", "--output", str(output))
    assert done.returncode == 0, done.stderr

    for index in range(2):
        home = Home(output / f"validator{index}")
        p2p = tomllib.loads(home.comet_config.read_text())["p2p"]
        assert p2p["allow_duplicate_ip"] is True
        assert p2p["addr_book_strict"] is False
        assert mode(home.root) == 0o700
    genesis = json.loads(Home(output / "validator0").genesis.read_text())
    holders = {entry["address"] for entry in genesis["app_state"]["bank"]["balances"]}
    for index in range(2):
        assert consensus_key(Home(output / f"validator{index}")).bech32_address not in holders


def test_the_cosmos_genesis_steps_bond_the_node_from_a_keyring_account(tmp_path: Path) -> None:
    home = tmp_path / "node"
    steps = [
        ("keys", "add", "operator"),
        ("init", "node", "--chain-id", "home-1"),
        ("genesis", "add-account", "operator", "2000000000ugpc"),
        ("genesis", "gentx", "operator", "100000000ugpc"),
        ("genesis", "collect-gentxs"),
        ("genesis", "validate"),
    ]

    for step in steps:
        done = gpuchain(*step, home=home)
        assert done.returncode == 0, (step, done.stderr)

    operator = json.loads(gpuchain("keys", "show", "operator", "-o", "json", home=home).stdout)
    message, signer = gentx_of(json.loads(Home(home).genesis.read_text()))
    assert message.validator_address == encode_validator_address(
        decode_address(operator["address"])
    )
    assert message.value.amount == "100000000"
    assert keys_pb2.PubKey.FromString(message.pubkey.value).key == (
        consensus_key(Home(home)).public_key
    )
    assert signer == base64.b64decode(json.loads(operator["pubkey"])["key"])
