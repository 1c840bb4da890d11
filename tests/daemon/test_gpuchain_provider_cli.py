"""`gpuchain-provider` refuses a bad config or an unreachable node in one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from daemon_helpers import make_certificate, provider_cli

from chain.keyring import Keyring
from chain.testing import free_port
from provider import config as provider_config

pytestmark = pytest.mark.timeout(60)


def write_config(home: Path, **changes: object) -> None:
    text = provider_config.render(
        "provider", [f"tcp://127.0.0.1:{free_port()}"], "gpuchain-test", "test", home / "keys"
    )
    data = yaml.safe_load(text)
    data.update(changes)
    home.mkdir(exist_ok=True)
    (home / provider_config.CONFIG_FILE).write_text(yaml.safe_dump(data))


def test_start_names_the_bad_field_of_the_config(tmp_path: Path) -> None:
    write_config(tmp_path, report_interval_blocks=-5)
    done = provider_cli("start", "--home", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.startswith("Error: report_interval_blocks: expected a positive whole")
    assert "Traceback" not in done.stderr


def test_start_says_when_no_configured_node_answers(tmp_path: Path) -> None:
    write_config(tmp_path)
    Keyring(tmp_path / "keys", "test").add("provider")
    make_certificate(tmp_path)
    done = provider_cli("start", "--home", str(tmp_path))
    assert done.returncode == 1
    assert "Error: no configured node answers: cannot reach node at" in done.stderr
    assert "Traceback" not in done.stderr


def test_start_says_when_the_certificate_is_not_one(tmp_path: Path) -> None:
    write_config(tmp_path)
    (tmp_path / "gateway.crt").write_text("not a certificate")
    done = provider_cli("start", "--home", str(tmp_path))
    assert done.returncode == 1
    assert "gateway.crt is not a PEM certificate" in done.stderr


def test_start_says_when_the_key_is_not_in_the_keyring(tmp_path: Path) -> None:
    write_config(tmp_path)
    make_certificate(tmp_path)
    done = provider_cli("start", "--home", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.startswith("Error: key: ")
    assert "provider" in done.stderr


def test_explain_without_a_decision_says_so(tmp_path: Path) -> None:
    write_config(tmp_path)
    done = provider_cli("explain", "42", "--home", str(tmp_path))
    assert done.returncode == 1
    assert "no order of deployment 42 seen by this provider" in done.stdout


def test_init_refuses_a_key_missing_from_the_keyring_and_an_existing_config(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    argv = ["init", "--home", str(tmp_path / "p"), "--from", "provider", "--chain-id", "c-1",
            "--keyring-backend", "test", "--keyring-home", str(keys)]  # fmt: skip
    done = provider_cli(*argv)
    assert done.returncode == 1
    assert "'provider'" in done.stderr and "gpuchain keys add" in done.stderr

    Keyring(keys, "test").add("provider")
    assert provider_cli(*argv).returncode == 0
    loaded = provider_config.load(tmp_path / "p")
    assert (loaded.key, loaded.chain_id, loaded.keyring_home) == ("provider", "c-1", keys)
    assert (tmp_path / "p" / "gateway.key").stat().st_mode & 0o077 == 0  # private to its owner
    again = provider_cli(*argv)
    assert again.returncode == 1
    assert "provider.yaml already exists" in again.stderr


def test_benchmark_runs_the_gpu_self_test_or_says_torch_is_missing() -> None:
    done = provider_cli("benchmark", "--seconds", "0.05")
    if done.returncode == 0:
        assert "TFLOP/s" in done.stdout
    else:
        assert done.stderr.strip() == (
            "Error: torch is not installed: pip install -e '.[gpu]' to run the GPU self-test"
        )
