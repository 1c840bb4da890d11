"""`gpuchain keys` manages the keyring from the shell, in Cosmos SDK conventions."""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import chain.cli.main
from chain.cli import keys
from chain.crypto import PrivateKey, bech32_decode, encode_address
from chain.keyring import ARMOR_BEGIN, EXPORT_PASSPHRASE_ENV, PASSPHRASE_ENV, Keyring

REPOSITORY = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"


def gpuchain(
    *argv: str,
    home: Path,
    stdin: str = "",
    passphrase: str | None = PASSPHRASE,
    export_passphrase: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `gpuchain ARGV --home HOME` in a fresh Python process, without a terminal."""
    secrets = (PASSPHRASE_ENV, EXPORT_PASSPHRASE_ENV)
    env = {key: value for key, value in os.environ.items() if key not in secrets}
    env["PYTHONPATH"] = str(REPOSITORY)
    if passphrase is not None:
        env[PASSPHRASE_ENV] = passphrase
    if export_passphrase is not None:
        env[EXPORT_PASSPHRASE_ENV] = export_passphrase
    return subprocess.run(
        [sys.executable, "-m", "chain.cli.main", *argv, "--home", str(home)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env=env,
        timeout=60,
        check=False,
    )


Runner = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Runner:
    """Run `gpuchain keys ...` in this process; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    monkeypatch.setenv(EXPORT_PASSPHRASE_ENV, "export secret")

    def invoke(*argv: str, home: Path = tmp_path) -> tuple[int, str, str]:
        code = chain.cli.main.main([*argv, "--home", str(home)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_register_adds_every_keys_subcommand() -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", type=Path, default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="gpuchain")
    keys.register(parser.add_subparsers(dest="command"), common)

    for argv in (
        ["keys", "add", "alice", "--recover"],
        ["keys", "list"],
        ["keys", "show", "alice", "-a"],
        ["keys", "delete", "alice", "--yes"],
        ["keys", "export", "alice"],
        ["keys", "import", "alice", "alice.armor"],
    ):
        assert callable(parser.parse_args([*argv, "--home", "/tmp/h"]).func)


@pytest.mark.parametrize("backend", ["file", "test"])
def test_add_list_show_delete_round_trip(run: Runner, tmp_path: Path, backend: str) -> None:
    flags = ("--keyring-backend", backend)
    code, out, _ = run("keys", "add", "alice", *flags)
    assert code == 0
    address = next(line.split(": ")[1] for line in out.splitlines() if "address:" in line)

    code, out, _ = run("keys", "list", *flags)
    assert code == 0
    assert "name: alice" in out and address in out

    code, out, _ = run("keys", "show", "alice", *flags)
    assert code == 0
    assert f"address: {address}" in out

    code, out, _ = run("keys", "delete", "alice", "--yes", *flags)
    assert code == 0
    assert "deleted" in out

    code, out, _ = run("keys", "list", *flags)
    assert out.startswith(f"No keys in the {backend} keyring at {tmp_path}/keyring-{backend}; ")
    other = "file" if backend == "test" else "test"
    assert f"--keyring-backend {other}" in out


def test_every_command_prints_cosmos_json(run: Runner, tmp_path: Path) -> None:
    flags = ("--keyring-backend", "test", "-o", "json")
    code, out, _ = run("keys", "add", "alice", *flags)
    assert code == 0
    added = json.loads(out)
    # As Cosmos's `keys add -o json`: the new key's mnemonic, shown this once.
    assert len(added.pop("mnemonic").split()) == 24
    assert set(added) == {"name", "type", "address", "pubkey"}
    assert added["name"] == "alice"
    assert added["type"] == "local"
    assert added["address"].startswith("gpu1")
    pubkey = json.loads(added["pubkey"])
    assert pubkey["@type"] == "/cosmos.crypto.secp256k1.PubKey"
    assert len(base64.b64decode(pubkey["key"])) == 33
    assert added["pubkey"] == (
        '{"@type":"/cosmos.crypto.secp256k1.PubKey","key":"' + pubkey["key"] + '"}'
    )

    assert json.loads(run("keys", "show", "alice", *flags)[1]) == added
    assert json.loads(run("keys", "show", added["address"], *flags)[1]) == added
    assert json.loads(run("keys", "list", *flags)[1]) == [added]

    exported = json.loads(run("keys", "export", "alice", *flags)[1])
    assert exported["armor"].startswith(ARMOR_BEGIN)
    armor_file = tmp_path / "alice.armor"
    armor_file.write_text(exported["armor"])
    other_home = tmp_path / "other"
    imported = json.loads(
        run("keys", "import", "alice", str(armor_file), *flags, home=other_home)[1]
    )
    assert imported == added

    assert json.loads(run("keys", "delete", "alice", "--yes", *flags)[1]) == {
        "name": "alice",
        "deleted": True,
    }
    assert json.loads(run("keys", "list", *flags)[1]) == []


def test_errors_name_the_problem_and_exit_1(run: Runner) -> None:
    flags = ("--keyring-backend", "test")
    assert run("keys", "add", "alice", *flags)[0] == 0

    code, out, err = run("keys", "add", "alice", *flags)
    assert (code, out) == (1, "")
    assert err.startswith("Error: duplicate name")

    code, _, err = run("keys", "add", "bad name", *flags)
    assert code == 1
    assert "bad key name 'bad name'" in err

    code, _, err = run("keys", "show", "nobody", *flags)
    assert code == 1
    assert "unknown key" in err and "'nobody'" in err

    code, out, _ = run("keys", "show", "nobody", *flags, "-o", "json")
    assert code == 1
    assert "unknown key" in json.loads(out)["error"]


def test_delete_takes_a_name_not_an_address(run: Runner) -> None:
    flags = ("--keyring-backend", "test")
    run("keys", "add", "alice", *flags)
    address = run("keys", "show", "alice", "-a", *flags)[1].strip()

    code, _, err = run("keys", "delete", address, "--yes", *flags)
    assert code == 1
    assert "delete takes a name" in err


def test_show_address_prints_exactly_the_address(tmp_path: Path) -> None:
    key = PrivateKey.generate()
    Keyring(tmp_path, "test").add("alice", key)

    result = gpuchain("keys", "show", "alice", "-a", "--keyring-backend", "test", home=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == key.bech32_address + "\n"
    assert result.stderr == ""


def test_show_address_reads_the_file_backend_without_a_passphrase(tmp_path: Path) -> None:
    key = PrivateKey.generate()
    Keyring(tmp_path, "file", lambda prompt: PASSPHRASE).add("alice", key)

    result = gpuchain("keys", "show", "alice", "--address", home=tmp_path, passphrase=None)

    assert result.returncode == 0, result.stderr
    assert result.stdout == key.bech32_address + "\n"


def test_the_test_backend_warns_that_keys_are_unencrypted(tmp_path: Path) -> None:
    result = gpuchain("keys", "add", "alice", "--keyring-backend", "test", home=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "unencrypted" in result.stderr
    assert "name: alice" in result.stdout


# A published Cosmos derivation vector (CosmJS's faucet): these words give
# cosmos1pkptre7fdkl6gfrzlesjjvhxhlc3r4gmmk8rs6 at m/44'/118'/0'/0/0 in every Cosmos wallet.
COSMJS_MNEMONIC = (
    "economy stock theory fatal elder harbor betray wasp final emotion task crumble siren "
    "bottom lizard educate guess current outdoor pair theory focus wife stone"
)
COSMJS_ADDRESS = "cosmos1pkptre7fdkl6gfrzlesjjvhxhlc3r4gmmk8rs6"


def test_add_recover_restores_the_address_any_cosmos_wallet_derives(tmp_path: Path) -> None:
    result = gpuchain(
        "keys", "add", "alice", "--recover", "-o", "json", home=tmp_path, stdin=COSMJS_MNEMONIC
    )

    assert result.returncode == 0, result.stderr
    _, cosmos_bytes = bech32_decode(COSMJS_ADDRESS)
    assert json.loads(result.stdout)["address"] == encode_address(cosmos_bytes)
    assert "mnemonic" not in json.loads(result.stdout)


def test_a_new_key_recovers_from_the_mnemonic_it_printed(tmp_path: Path) -> None:
    added = gpuchain("keys", "add", "alice", "-o", "json", home=tmp_path / "one")
    assert added.returncode == 0, added.stderr
    record = json.loads(added.stdout)

    again = gpuchain(
        "keys",
        "add",
        "alice",
        "--recover",
        "-o",
        "json",
        home=tmp_path / "two",
        stdin=record["mnemonic"] + "\n",
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["address"] == record["address"]


def test_add_recover_refuses_a_mnemonic_with_a_wrong_checksum(tmp_path: Path) -> None:
    words = COSMJS_MNEMONIC.split()
    result = gpuchain(
        "keys", "add", "alice", "--recover", home=tmp_path, stdin=" ".join([*words[:-1], "abandon"])
    )

    assert result.returncode == 1
    assert "mnemonic is not a valid BIP-39 English phrase" in result.stderr


def test_an_ed25519_key_recovers_from_its_hex_seed(tmp_path: Path) -> None:
    key = PrivateKey.generate()

    result = gpuchain(
        "keys",
        "add",
        "alice",
        "--algo",
        "ed25519",
        "--recover",
        "-o",
        "json",
        home=tmp_path,
        stdin=key.seed.hex() + "\n",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["address"] == key.bech32_address
    assert Keyring(tmp_path, "file", lambda prompt: PASSPHRASE).private_key("alice") == key

    refused = gpuchain(
        "keys", "add", "bob", "--algo", "ed25519", "--recover", home=tmp_path, stdin="abcd\n"
    )
    assert refused.returncode == 1
    assert "Error: seed is 2 bytes, expected 32" in refused.stderr


def test_export_then_import_into_another_home_keeps_the_address(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    added = gpuchain("keys", "add", "alice", "-o", "json", home=source)
    assert added.returncode == 0, added.stderr

    exported = gpuchain("keys", "export", "alice", home=source, export_passphrase="export secret")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(ARMOR_BEGIN)
    armor_file = tmp_path / "alice.armor"
    armor_file.write_text(exported.stdout)

    imported = gpuchain(
        "keys",
        "import",
        "bob",
        str(armor_file),
        "-o",
        "json",
        home=target,
        export_passphrase="export secret",
    )
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["address"] == json.loads(added.stdout)["address"]

    wrong = gpuchain(
        "keys",
        "import",
        "carol",
        "-",
        home=tmp_path / "third",
        stdin=exported.stdout,
        export_passphrase="guess",
    )
    assert wrong.returncode == 1
    assert "wrong export passphrase" in wrong.stderr


def test_export_never_reuses_the_keyring_passphrase(tmp_path: Path) -> None:
    assert gpuchain("keys", "add", "alice", home=tmp_path).returncode == 0

    unasked = gpuchain("keys", "export", "alice", home=tmp_path)
    same = gpuchain("keys", "export", "alice", home=tmp_path, export_passphrase=PASSPHRASE)

    # Without a terminal the export passphrase must come from its own variable...
    assert unasked.returncode == 1
    assert f"no passphrase: set {EXPORT_PASSPHRASE_ENV}" in unasked.stderr
    assert ARMOR_BEGIN not in unasked.stdout
    # ...and may not be the keyring's own passphrase.
    assert same.returncode == 1
    assert "must differ from the keyring passphrase" in same.stderr
    assert ARMOR_BEGIN not in same.stdout


def test_a_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    assert gpuchain("keys", "add", "alice", home=tmp_path).returncode == 0

    result = gpuchain("keys", "add", "bob", home=tmp_path, passphrase="guess")

    assert result.returncode == 1
    assert result.stderr.startswith("Error: wrong passphrase")


def test_the_file_backend_without_a_passphrase_says_how_to_give_one(tmp_path: Path) -> None:
    result = gpuchain("keys", "add", "alice", home=tmp_path, passphrase=None)

    assert result.returncode == 1
    assert f"no passphrase: set {PASSPHRASE_ENV} or use --keyring-backend test" in result.stderr


def test_delete_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    flags = ("--keyring-backend", "test")
    assert gpuchain("keys", "add", "alice", *flags, home=tmp_path).returncode == 0

    refused = gpuchain("keys", "delete", "alice", *flags, home=tmp_path)
    assert refused.returncode == 1
    assert "without confirmation" in refused.stderr and "--yes" in refused.stderr
    assert [info.name for info in Keyring(tmp_path, "test").list()] == ["alice"]

    deleted = gpuchain("keys", "delete", "alice", "--yes", *flags, home=tmp_path)
    assert deleted.returncode == 0, deleted.stderr
    assert Keyring(tmp_path, "test").list() == []


def test_the_real_entry_point_routes_keys(tmp_path: Path) -> None:
    result = gpuchain("keys", "list", "-o", "json", "--keyring-backend", "test", home=tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
