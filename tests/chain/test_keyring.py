"""The keyring keeps named keys on disk, encrypted unless the test backend is chosen."""

from __future__ import annotations

import base64
import io
import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from chain.crypto import PrivateKey
from chain.keyring import ARMOR_BEGIN, ARMOR_END, PASSPHRASE_ENV, Keyring, KeyringError

PASSPHRASE = "correct horse battery staple"


def answering(passphrase: str) -> Callable[[str], str]:
    return lambda prompt: passphrase


def open_keyring(home: Path, backend: str, passphrase: str = PASSPHRASE) -> Keyring:
    return Keyring(home, backend, answering(passphrase))


@pytest.fixture(params=["file", "test"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_add_list_show_delete_round_trip(tmp_path: Path, backend: str) -> None:
    keyring = open_keyring(tmp_path, backend)
    bob = keyring.add("bob")
    alice = keyring.add("alice")

    assert keyring.list() == [alice, bob]
    assert keyring.show("alice") == alice
    assert keyring.show(alice.address) == alice
    assert alice.address.startswith("gpu1")
    # Cosmos wallets' kind of key: a 33-byte compressed secp256k1 key.
    assert alice.public_key.algo == "secp256k1"
    assert len(alice.public_key.key) == 33

    keyring.delete("alice")
    assert keyring.list() == [bob]
    with pytest.raises(KeyringError, match="unknown key"):
        keyring.show("alice")


@pytest.mark.parametrize("algo", ["secp256k1", "ed25519"])
def test_a_stored_key_signs_for_its_address(tmp_path: Path, backend: str, algo: str) -> None:
    original = PrivateKey.generate(algo)
    open_keyring(tmp_path, backend).add("alice", original)

    reopened = open_keyring(tmp_path, backend)
    private_key = reopened.private_key("alice")

    assert private_key == original
    assert reopened.private_key(original.bech32_address) == original
    info = reopened.show("alice")
    assert info.address == original.bech32_address
    assert info.public_key == original.public
    assert info.public_key.verify(b"message", private_key.sign(b"message"))
    assert not info.public_key.verify(b"another message", private_key.sign(b"message"))


def test_the_backends_are_separate_directories(tmp_path: Path) -> None:
    open_keyring(tmp_path, "test").add("alice")

    assert open_keyring(tmp_path, "file").list() == []
    assert (tmp_path / "keyring-test" / "alice.info").is_file()


def test_key_files_are_private(tmp_path: Path, backend: str) -> None:
    open_keyring(tmp_path, backend).add("alice")
    directory = tmp_path / f"keyring-{backend}"

    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not [path for path in directory.iterdir() if path.name.endswith(".tmp")]


def test_the_key_file_records_name_type_algo_address_and_pubkey(
    tmp_path: Path, backend: str
) -> None:
    info = open_keyring(tmp_path, backend).add("alice")
    record = json.loads((tmp_path / f"keyring-{backend}" / "alice.info").read_text())

    assert record["name"] == "alice"
    assert record["type"] == "local"
    assert record["algo"] == "secp256k1"
    assert record["address"] == info.address
    assert base64.b64decode(record["pubkey"]) == info.public_key.key


def test_the_test_backend_stores_the_seed_in_plaintext(tmp_path: Path) -> None:
    key = PrivateKey.generate()
    open_keyring(tmp_path, "test").add("alice", key)

    record = json.loads((tmp_path / "keyring-test" / "alice.info").read_text())
    assert record["seed"] == key.seed.hex()


def test_the_file_backend_never_writes_the_seed(tmp_path: Path) -> None:
    key = PrivateKey.generate()
    open_keyring(tmp_path, "file").add("alice", key)

    for path in (tmp_path / "keyring-file").iterdir():
        content = path.read_bytes()
        assert key.seed not in content
        assert key.seed.hex().encode() not in content
        assert key.seed.hex().upper().encode() not in content
        assert base64.b64encode(key.seed)[:40] not in content
        assert PASSPHRASE.encode() not in content


def test_a_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    open_keyring(tmp_path, "file").add("alice")
    intruder = open_keyring(tmp_path, "file", passphrase="guess")

    with pytest.raises(KeyringError, match="wrong passphrase"):
        intruder.private_key("alice")
    with pytest.raises(KeyringError, match="wrong passphrase"):
        intruder.add("mallory")
    assert [info.name for info in intruder.list()] == ["alice"]


def test_a_key_encrypted_under_another_passphrase_is_refused(tmp_path: Path) -> None:
    """Even when the keyhash file is gone, decryption itself rejects the wrong passphrase."""
    open_keyring(tmp_path, "file").add("alice")
    (tmp_path / "keyring-file" / "keyhash").unlink()

    with pytest.raises(KeyringError, match="wrong passphrase"):
        open_keyring(tmp_path, "file", passphrase="another").private_key("alice")


def test_a_new_file_keyring_asks_twice_and_refuses_a_mismatch(tmp_path: Path) -> None:
    answers = iter(["first", "second"])
    keyring = Keyring(tmp_path, "file", lambda prompt: next(answers))

    with pytest.raises(KeyringError, match="do not match"):
        keyring.add("alice")
    assert keyring.list() == []


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="empty passphrase"):
        open_keyring(tmp_path, "file", passphrase="").add("alice")


def test_the_passphrase_is_asked_once_per_keyring(tmp_path: Path) -> None:
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return PASSPHRASE

    open_keyring(tmp_path, "file").add("alice")
    keyring = Keyring(tmp_path, "file", ask)
    keyring.add("bob")
    keyring.private_key("alice")
    keyring.private_key("bob")

    assert len(prompts) == 1


def test_views_need_no_passphrase(tmp_path: Path) -> None:
    open_keyring(tmp_path, "file").add("alice")

    def refuse(prompt: str) -> str:
        raise AssertionError(f"asked for a passphrase: {prompt}")

    keyring = Keyring(tmp_path, "file", refuse)
    assert [info.name for info in keyring.list()] == ["alice"]
    assert keyring.show("alice").name == "alice"
    keyring.delete("alice")


def test_without_a_passphrase_source_the_file_backend_explains_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    with pytest.raises(KeyringError, match=f"no passphrase: set {PASSPHRASE_ENV}"):
        Keyring(tmp_path, "file").add("alice")


def test_the_environment_variable_supplies_the_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    key = Keyring(tmp_path, "file").add("alice")

    assert open_keyring(tmp_path, "file").private_key("alice").bech32_address == key.address


def test_export_then_import_into_another_home_keeps_the_address(
    tmp_path: Path, backend: str
) -> None:
    source = open_keyring(tmp_path / "source", backend)
    original = source.add("alice")

    armored = source.export("alice", "export secret")
    target = open_keyring(tmp_path / "target", backend, passphrase="other keyring passphrase")
    imported = target.import_key("alice2", armored, "export secret")

    assert imported.address == original.address
    assert imported.public_key == original.public_key
    assert target.private_key("alice2") == source.private_key("alice")


def test_an_export_is_armored_and_encrypted(tmp_path: Path) -> None:
    keyring = open_keyring(tmp_path, "test")
    key = PrivateKey.generate()
    keyring.add("alice", key)

    armored = keyring.export("alice", "export secret")
    lines = armored.strip().splitlines()
    assert lines[0] == ARMOR_BEGIN
    assert lines[-1] == ARMOR_END
    assert "kdf: argon2id" in lines
    assert key.seed.hex() not in armored
    payload = base64.b64decode("".join(lines[lines.index("") + 1 : -1]))
    assert len(payload) == 16 + 24 + 32 + 16  # salt, nonce, seed, MAC
    assert key.seed not in payload


def test_import_with_the_wrong_export_passphrase_is_refused(tmp_path: Path) -> None:
    keyring = open_keyring(tmp_path, "test")
    keyring.add("alice")
    armored = keyring.export("alice", "export secret")
    target = open_keyring(tmp_path / "target", "test")

    with pytest.raises(KeyringError, match="wrong export passphrase"):
        target.import_key("alice", armored, "guess")
    assert target.list() == []


@pytest.mark.parametrize(
    "armored",
    [
        "",
        "not armor at all",
        f"{ARMOR_BEGIN}\n\n!!!not base64!!!\n{ARMOR_END}\n",
        f"{ARMOR_BEGIN}\n\nAAAA\n{ARMOR_END}\n",
        f"{ARMOR_BEGIN}\nkdf: scrypt\n\n{'A' * 120}\n{ARMOR_END}\n",
    ],
)
def test_malformed_armor_is_refused(tmp_path: Path, armored: str) -> None:
    with pytest.raises(KeyringError, match="armor"):
        open_keyring(tmp_path, "test").import_key("alice", armored, "export secret")


def test_an_empty_export_passphrase_is_refused(tmp_path: Path) -> None:
    keyring = open_keyring(tmp_path, "test")
    keyring.add("alice")

    with pytest.raises(KeyringError, match="empty export passphrase"):
        keyring.export("alice", "")


def test_a_duplicate_name_is_refused(tmp_path: Path, backend: str) -> None:
    keyring = open_keyring(tmp_path, backend)
    first = keyring.add("alice")

    with pytest.raises(KeyringError, match="duplicate name"):
        keyring.add("alice")
    assert keyring.show("alice") == first


def test_the_same_key_under_two_names_is_refused(tmp_path: Path, backend: str) -> None:
    keyring = open_keyring(tmp_path, backend)
    key = PrivateKey.generate()
    keyring.add("alice", key)

    with pytest.raises(KeyringError, match="already stored as 'alice'"):
        keyring.add("alias", key)


@pytest.mark.parametrize(
    "name",
    ["", "a" * 65, "with space", "slash/name", "../escape", "ünïcode", "tab\t", "new\nline"],
)
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    keyring = open_keyring(tmp_path, "test")

    with pytest.raises(KeyringError, match="bad key name"):
        keyring.add(name)
    assert not (tmp_path / "keyring-test").exists() or keyring.list() == []


@pytest.mark.parametrize("name", ["a", "A" * 64, "validator-0", "node_1.key", "..."])
def test_good_names_are_accepted(tmp_path: Path, name: str) -> None:
    keyring = open_keyring(tmp_path, "test")

    assert keyring.add(name).name == name
    assert keyring.show(name).name == name


def test_unknown_keys_are_named_in_the_error(tmp_path: Path, backend: str) -> None:
    keyring = open_keyring(tmp_path, backend)

    with pytest.raises(KeyringError, match=r"unknown key.*'nobody'"):
        keyring.show("nobody")
    with pytest.raises(KeyringError, match=r"unknown key.*'nobody'"):
        keyring.private_key("nobody")
    with pytest.raises(KeyringError, match=r"unknown key.*'nobody'"):
        keyring.delete("nobody")
    with pytest.raises(KeyringError, match=r"unknown key.*'nobody'"):
        keyring.export("nobody", "export secret")


def test_an_unknown_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="unknown keyring backend"):
        Keyring(tmp_path, "os")


def test_a_corrupt_key_file_is_reported(tmp_path: Path) -> None:
    keyring = open_keyring(tmp_path, "test")
    keyring.add("alice")
    (tmp_path / "keyring-test" / "alice.info").write_text("{not json")

    with pytest.raises(KeyringError, match=r"alice\.info"):
        keyring.show("alice")
    keyring.delete("alice")  # a damaged key can still be removed
    assert not keyring.has("alice")
